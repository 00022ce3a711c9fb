{{ config(meta={'dagster': {'ref': {'name': 'persona'}}}) }}
-- Every person comes from at least one source, and the source flags agree with the
-- crosswalk.
with sources as (
    select
        persona_key,
        bool_or(fuente = 'inpe_registro') as en_registro,
        bool_or(fuente = 'inpe_medio_libre') as en_medio_libre,
        bool_or(fuente = 'pj_resoluciones') as en_poder_judicial
    from {{ ref('int_person_crosswalk') }}
    group by persona_key
)

select p.persona_key
from {{ ref('persona') }} as p
left join sources as s on s.persona_key = p.persona_key
where not (p.en_registro or p.en_medio_libre or p.en_poder_judicial)
   or s.persona_key is null
   or p.en_registro <> s.en_registro
   or p.en_medio_libre <> s.en_medio_libre
   or p.en_poder_judicial <> s.en_poder_judicial
