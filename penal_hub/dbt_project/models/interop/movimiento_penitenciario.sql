{#- Admissions, releases and transfers, each once, with the person they concern.
    Someone released before the registry's first extract has no identity record:
    their movement is linked through DOCUMENTO_SUSTENTO when it names a case file
    with exactly one subject in the court feed. -#}
with single_subject_cases as (
    select r.expediente, min(c.persona_key) as persona_key
    from {{ ref('int_pj__resoluciones_vigentes') }} as r
    inner join {{ ref('int_person_crosswalk') }} as c
        on c.fuente = 'pj_resoluciones' and c.fuente_id = r.resolucion_id
    where r.expediente is not null
    group by r.expediente
    having count(distinct c.persona_key) = 1
)

select
    m.movimiento_id,
    coalesce(c.persona_key, s.persona_key) as persona_key,
    m.id_interno,
    m.tipo_movimiento,
    m.fecha_movimiento,
    m.cod_ep_origen,
    m.cod_ep_destino,
    m.motivo,
    m.documento_sustento,
    m.fecha_corte as fecha_corte_entrega
from {{ ref('int_inpe__movimientos') }} as m
left join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_registro' and c.fuente_id = m.id_interno
left join single_subject_cases as s
    on c.persona_key is null and s.expediente = {{ normalize_expediente('m.documento_sustento') }}
