{#- Identity resolution: one pseudonymous person key per source record.

    1. A usable document (type and number) is the identity: two different
       documents are never merged.
    2. A record without one is matched on the blocking key (paternal surname,
       sorted given names, birth date) with a compatible maternal surname
       (equal, or missing on one side) against documented records:
       exactly one document -> that person; several -> ambiguous, flagged and
       kept apart (never guessed); none -> a person known by name only.
    The key is HMAC-SHA256 of the identity (HUB_PSEUDONYM_KEY). -#}
with records as (
    select * from {{ ref('int_person_records') }}
),

documented as (
    select distinct documento_id, nombre_clave, apellido_materno_norm
    from records
    where documento_id is not null and nombre_clave is not null
),

name_matches as (
    select
        r.fuente, r.fuente_id,
        count(distinct d.documento_id) as documentos_candidatos,
        min(d.documento_id) as documento_id
    from records as r
    inner join documented as d
        on d.nombre_clave = r.nombre_clave
        and (r.apellido_materno_norm is null or d.apellido_materno_norm is null
             or r.apellido_materno_norm = d.apellido_materno_norm)
    where r.documento_id is null
    group by r.fuente, r.fuente_id
),

resolved as (
    select
        r.fuente,
        r.fuente_id,
        case
            when r.documento_id is not null then 'documento'
            when m.documentos_candidatos = 1 then 'nombre_y_nacimiento'
            when m.documentos_candidatos > 1 then 'ambiguo'
            when r.nombre_clave is not null then 'solo_nombre'
            else 'sin_datos'
        end as metodo_enlace,
        case
            when r.documento_id is not null then 'DOC:' || r.documento_id
            when m.documentos_candidatos = 1 then 'DOC:' || m.documento_id
            when m.documentos_candidatos > 1 then 'REGISTRO:' || r.fuente || ':' || r.fuente_id
            when r.nombre_clave is not null then 'NOMBRE:' || r.nombre_clave
            else 'REGISTRO:' || r.fuente || ':' || r.fuente_id
        end as identidad
    from records as r
    left join name_matches as m on m.fuente = r.fuente and m.fuente_id = r.fuente_id
)

select
    fuente,
    fuente_id,
    {{ pseudonym('identidad') }} as persona_key,
    metodo_enlace,
    metodo_enlace = 'ambiguo' as enlace_ambiguo
from resolved
