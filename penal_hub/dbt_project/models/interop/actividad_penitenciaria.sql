{#- Enrolments in work, education, culture and treatment, each once (an enrolment
    is repeated in every extract it spans; the latest extract has its end). -#}
with ranked as (
    select *, row_number() over (
        partition by id_interno, tipo_actividad, programa, fecha_inicio order by fecha_corte desc
    ) as recency
    from {{ ref('stg_inpe__actividades') }}
)

select
    r.id_interno || '|' || r.tipo_actividad || '|' || r.programa || '|' || cast(r.fecha_inicio as varchar)
        as actividad_id,
    c.persona_key,
    r.id_interno,
    r.cod_ep,
    r.tipo_actividad,
    r.programa,
    r.fecha_inicio,
    r.fecha_fin,
    r.convenio,
    r.certificado,
    r.fecha_corte as fecha_corte_ultima
from ranked as r
left join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_registro' and c.fuente_id = r.id_interno
where r.recency = 1
