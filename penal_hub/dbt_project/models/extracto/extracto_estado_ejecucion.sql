{#- The rows of the extract for the Poder Judicial (docs/outputs.md, section 2): one per
    case number in the court feed and person in it, with INPE's state of that person on
    the current cut-off. It names persons: schema `extracto` is read by the publication
    step only, never copied to the analysts. The publication nests each person's alerts
    and waiting orders (marts.alertas_interoperabilidad, marts.ejecucion_ordenes) and
    keys the person apart from the marts (core/pseudonyms.py). -#}
with corte as (
    select fecha_corte from {{ ref('corte_actual') }}
),

cases as (
    select distinct expediente, persona_key
    from {{ ref('resolucion_judicial') }}
    where expediente is not null and persona_key is not null
),

-- Where the person is held on the cut-off: the latest admission (ties: the id, in byte order).
held as (
    select * from (
        select h.*, row_number() over (
            partition by h.persona_key order by h.fecha_ingreso desc, h.id_interno collate "C"
        ) as rn
        from {{ ref('situacion_juridica_historial') }} as h
        inner join corte on h.fecha_corte = corte.fecha_corte
    ) as ranked
    where rn = 1
),

last_release as (
    select * from (
        select m.persona_key, m.fecha_movimiento, m.motivo, row_number() over (
            partition by m.persona_key order by m.fecha_movimiento desc, m.movimiento_id desc
        ) as rn
        from {{ ref('movimiento_penitenciario') }} as m
        inner join corte on m.fecha_movimiento <= corte.fecha_corte
        where m.tipo_movimiento = 'EGRESO' and m.persona_key is not null
    ) as ranked
    where rn = 1
),

medio_libre as (
    select * from (
        select *, row_number() over (
            partition by persona_key, expediente order by fecha_inicio desc nulls last, id_caso desc
        ) as rn
        from {{ ref('medida_medio_libre') }}
    ) as ranked
    where rn = 1
)

select
    corte.fecha_corte,
    c.expediente,
    p.persona_key,
    p.tipo_documento,
    p.numero_documento,
    p.apellido_paterno,
    p.apellido_materno,
    p.nombres,
    h.persona_key is not null as recluido,
    h.id_interno,
    h.cod_ep,
    e.nombre_ep,
    h.situacion_juridica,
    h.fecha_ingreso,
    h.fecha_sentencia,
    h.fecha_vencimiento_pena,
    h.expediente as expediente_inpe,
    case when h.persona_key is null then r.fecha_movimiento end as ultimo_egreso_fecha,
    case when h.persona_key is null then r.motivo end as ultimo_egreso_motivo,
    m.id_caso as ml_id_caso,
    m.tipo_medida as ml_tipo_medida,
    m.estado as ml_estado,
    m.fecha_inicio as ml_fecha_inicio,
    m.jornadas_impuestas as ml_jornadas_impuestas,
    m.jornadas_cumplidas as ml_jornadas_cumplidas,
    m.establecimiento_medio_libre as ml_establecimiento
from cases as c
inner join corte on corte.fecha_corte is not null  -- no rows before the first registry cut-off
inner join {{ ref('persona') }} as p on p.persona_key = c.persona_key
left join held as h on h.persona_key = c.persona_key
left join {{ ref('establecimiento') }} as e on e.cod_ep = h.cod_ep
left join last_release as r on r.persona_key = c.persona_key
left join medio_libre as m on m.persona_key = c.persona_key and m.expediente = c.expediente
