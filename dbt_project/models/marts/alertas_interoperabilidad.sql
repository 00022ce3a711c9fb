{#- Open discrepancies between what the courts ordered and what the penitentiary
    system records, on the latest registry cut-off C (shared/specs/outputs.md).
    "Held" = in the latest registry extract; a person's resolutions are those of
    every case they are the subject of (matched across sources), issued by C, in
    their current version. -#}
with cutoff as (
    select max(fecha_corte) as c from {{ ref('situacion_juridica_historial') }}
),

held as (
    select h.*
    from {{ ref('situacion_juridica_historial') }} as h
    inner join cutoff on h.fecha_corte = cutoff.c
),

resolutions as (
    select r.*
    from {{ ref('resolucion_judicial') }} as r
    cross join cutoff
    where r.fecha_emision <= cutoff.c and r.persona_key is not null
),

-- The standing order: the latest detention or release order (ties: the later id).
standing as (
    {{ latest_resolution_per_person('resolutions') }}
),

latest_effective_sentence as (
    {{ latest_resolution_per_person('resolutions', "tipo = 'SENTENCIA_CONDENATORIA' and pena_clase = 'PRIVATIVA_EFECTIVA'") }}
),

person_facts as (
    select
        persona_key,
        max(case when tipo = 'SENTENCIA_CONDENATORIA' then 1 else 0 end) = 1 as has_condemnatory,
        max(case when orden = 'DETENCION' then 1 else 0 end) = 1 as has_detention_order
    from resolutions
    group by persona_key
),

-- Preventive-detention end: the latest PRISION_PREVENTIVA's start + its term +
-- every later prolongation in the same case.
latest_pp as (
    {{ latest_resolution_per_person('resolutions', "tipo = 'PRISION_PREVENTIVA'") }}
),

preventive_end as (
    select
        pp.persona_key,
        {{ add_months('pp.pp_fecha_inicio', 'pp.pp_plazo_meses + coalesce(sum(pr.pp_plazo_meses), 0)') }}
            as fecha_fin
    from latest_pp as pp
    left join resolutions as pr
        on pr.persona_key = pp.persona_key
        and pr.tipo = 'PROLONGACION_PRISION_PREVENTIVA'
        and pr.expediente = pp.expediente
        and pr.fecha_emision > pp.fecha_emision
    group by pp.persona_key, pp.pp_fecha_inicio, pp.pp_plazo_meses
),

in_medio_libre as (
    select distinct v.persona_key
    from {{ ref('medida_medio_libre_version') }} as v
    cross join cutoff
    where v.fecha_corte_entrega <= cutoff.c
),

deceased as (
    select distinct m.persona_key
    from {{ ref('movimiento_penitenciario') }} as m
    cross join cutoff
    where m.tipo_movimiento = 'EGRESO' and m.motivo = 'FALLECIMIENTO' and m.fecha_movimiento <= cutoff.c
),

held_alerts as (
    select
        'LIBERTAD_NO_EJECUTADA' as codigo_alerta, h.persona_key, s.expediente, h.cod_ep,
        s.fecha_emision as fecha_referencia,
        'Orden de libertad (' || s.tipo || ' ' || s.resolucion_id || ') no ejecutada' as detalle
    from held as h
    inner join standing as s on s.persona_key = h.persona_key
    cross join cutoff
    where s.orden = 'LIBERTAD' and s.fecha_emision < cutoff.c - 1

    union all
    select
        'PRISION_PREVENTIVA_VENCIDA', h.persona_key, s.expediente, h.cod_ep, pe.fecha_fin,
        'Plazo de prision preventiva vencido el ' || cast(pe.fecha_fin as varchar) || ' sin prolongacion ni sentencia'
    from held as h
    inner join standing as s on s.persona_key = h.persona_key
    inner join person_facts as f on f.persona_key = h.persona_key
    inner join preventive_end as pe on pe.persona_key = h.persona_key
    cross join cutoff
    where s.orden = 'DETENCION' and not f.has_condemnatory and pe.fecha_fin < cutoff.c

    union all
    select
        'PENA_CUMPLIDA_SIN_EGRESO', h.persona_key, s.expediente, h.cod_ep, s.pena_fecha_fin,
        'Pena vencida el ' || cast(s.pena_fecha_fin as varchar) || ' sin egreso registrado'
    from held as h
    inner join standing as s on s.persona_key = h.persona_key
    cross join cutoff
    where s.tipo = 'SENTENCIA_CONDENATORIA' and s.pena_clase = 'PRIVATIVA_EFECTIVA'
      and s.pena_fecha_fin < cutoff.c

    union all
    select
        'SITUACION_JURIDICA_DISCREPANTE', h.persona_key, coalesce(e.expediente, h.expediente), h.cod_ep,
        coalesce(e.fecha_emision, h.fecha_ingreso),
        case when e.persona_key is not null
             then 'Registro dice PROCESADO; existe sentencia condenatoria efectiva ' || e.resolucion_id
             else 'Registro dice SENTENCIADO; no hay sentencia condenatoria efectiva' end
    from held as h
    left join latest_effective_sentence as e on e.persona_key = h.persona_key
    where (h.situacion_juridica = 'PROCESADO' and e.persona_key is not null)
       or (h.situacion_juridica = 'SENTENCIADO' and e.persona_key is null)

    union all
    select
        'INTERNO_SIN_MANDATO', h.persona_key, h.expediente, h.cod_ep, h.fecha_ingreso,
        'Interno sin ninguna orden de detencion del Poder Judicial'
    from held as h
    left join person_facts as f on f.persona_key = h.persona_key
    where not coalesce(f.has_detention_order, false)
),

not_held_alerts as (
    select
        'MANDATO_SIN_INGRESO' as codigo_alerta, s.persona_key, s.expediente,
        cast(null as varchar) as cod_ep, s.fecha_emision as fecha_referencia,
        'Orden de detencion vigente (' || s.tipo || ' ' || s.resolucion_id || ') sin ingreso al penal' as detalle
    from standing as s
    cross join cutoff
    left join preventive_end as pe on pe.persona_key = s.persona_key
    where s.orden = 'DETENCION'
      and s.persona_key not in (select persona_key from held)
      and s.persona_key not in (select persona_key from in_medio_libre)
      and s.persona_key not in (select persona_key from deceased where persona_key is not null)
      and (
          s.tipo = 'REVOCATORIA'
          or (s.tipo = 'SENTENCIA_CONDENATORIA' and s.pena_fecha_fin >= cutoff.c)
          or (s.tipo in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA') and pe.fecha_fin >= cutoff.c)
      )
),

alerts as (
    select * from held_alerts
    union all
    select * from not_held_alerts
)

select
    a.codigo_alerta,
    a.persona_key,
    a.expediente,
    a.cod_ep,
    a.fecha_referencia,
    cast(cutoff.c - a.fecha_referencia as integer) as dias_abierta,
    a.detalle,
    cutoff.c as fecha_corte
from alerts as a
cross join cutoff
