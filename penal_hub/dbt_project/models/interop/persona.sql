{#- One row per person, whichever institution reported them. Attributes come from
    the registry first, then medio libre, then the court (the most curated first). -#}
with linked as (
    select
        c.persona_key, c.enlace_ambiguo, r.*,
        case r.fuente when 'inpe_registro' then 1 when 'inpe_medio_libre' then 2 else 3 end as preference
    from {{ ref('int_person_crosswalk') }} as c
    inner join {{ ref('int_person_records') }} as r
        on r.fuente = c.fuente and r.fuente_id = c.fuente_id
),

ranked as (
    -- collate "C": byte order of ids on both engines, whatever PostgreSQL's collation.
    select *, row_number() over (
        partition by persona_key order by documento_id is null, preference, fuente_id collate "C"
    ) as attribute_rank
    from linked
),

sources as (
    select
        persona_key,
        max(case when fuente = 'inpe_registro' then 1 else 0 end) = 1 as en_registro,
        max(case when fuente = 'inpe_medio_libre' then 1 else 0 end) = 1 as en_medio_libre,
        max(case when fuente = 'pj_resoluciones' then 1 else 0 end) = 1 as en_poder_judicial,
        max(case when enlace_ambiguo then 1 else 0 end) = 1 as enlace_ambiguo,
        count(distinct documento_id) as documentos_distintos
    from linked
    group by persona_key
)

select
    r.persona_key,
    r.doc_tipo as tipo_documento,
    r.doc_numero as numero_documento,
    r.apellido_paterno,
    r.apellido_materno,
    r.nombres,
    r.sexo,
    r.fecha_nacimiento,
    r.nacionalidad,
    s.en_registro,
    s.en_medio_libre,
    s.en_poder_judicial,
    s.enlace_ambiguo
from ranked as r
inner join sources as s on s.persona_key = r.persona_key
where r.attribute_rank = 1
