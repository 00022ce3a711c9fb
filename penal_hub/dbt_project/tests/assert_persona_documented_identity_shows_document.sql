{{ config(meta={'dagster': {'ref': {'name': 'persona'}}}) }}
-- A person identified by a document (directly or by name and birth date) shows a
-- document in `persona`: the court extract carries it. Guards the attribute
-- choice in persona.sql, which ranks by source before documented-first.
with documented as (
    select distinct persona_key
    from {{ ref('int_person_crosswalk') }}
    where metodo_enlace in ('documento', 'nombre_y_nacimiento')
)

select p.persona_key, p.tipo_documento, p.numero_documento
from {{ ref('persona') }} as p
inner join documented as d on d.persona_key = p.persona_key
where p.numero_documento is null or p.tipo_documento is null
