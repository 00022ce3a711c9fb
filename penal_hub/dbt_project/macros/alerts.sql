{#- Each person's latest resolution in `relation` among those matching `condition`
    (ties: the later resolution id, in byte order: collate "C" keeps PostgreSQL's
    database collation from reordering ids, and DuckDB reads it as its own binary order).
    `per` is the partition: one latest resolution per person, or per cut-off and person. -#}
{% macro latest_resolution_per_person(relation, condition='true', per='persona_key') %}
    select * from (
        select r.*, row_number() over (
            partition by {{ per }} order by fecha_emision desc, resolucion_id collate "C" desc
        ) as recency
        from {{ relation }} as r
        where {{ condition }}
    ) as ranked
    where recency = 1
{% endmacro %}

{#- Each person's latest resolution in `relation` (matching `condition`) on each cut-off of
    `cutoffs` (column `c`): the one issued by the cut-off whose successor, in the person's
    order (FechaEmision, then resolution id as latest_resolution_per_person), is issued
    after it. One window over the resolutions and a range join, instead of ranking every
    resolution again for every cut-off. -#}
{% macro latest_resolution_on_each_cutoff(relation, cutoffs, condition='true') %}
    select k.c, r.*
    from (
        select r.*, lead(fecha_emision) over (
            partition by persona_key order by fecha_emision, resolucion_id collate "C"
        ) as next_fecha_emision
        from {{ relation }} as r
        where {{ condition }}
    ) as r
    inner join {{ cutoffs }} as k
        on r.fecha_emision <= k.c and (r.next_fecha_emision is null or r.next_fecha_emision > k.c)
{% endmacro %}

{#- A preventive term's end: the PRISION_PREVENTIVA `pp`'s start plus its months plus
    `prolonged_months`, those of its prolongations (is_later_prolongation; NULL: none). -#}
{% macro preventive_term_end(pp, prolonged_months) -%}
{{ add_months(pp ~ '.pp_fecha_inicio', pp ~ '.pp_plazo_meses + coalesce(' ~ prolonged_months ~ ', 0)') }}
{%- endmacro %}

{#- `pr` prolongs the PRISION_PREVENTIVA `pp`: a later PROLONGACION of the same person and case. -#}
{% macro is_later_prolongation(pr, pp) -%}
{{ pr }}.tipo = 'PROLONGACION_PRISION_PREVENTIVA' and {{ pr }}.persona_key = {{ pp }}.persona_key
    and {{ pr }}.expediente = {{ pp }}.expediente and {{ pr }}.fecha_emision > {{ pp }}.fecha_emision
{%- endmacro %}

{#- The interoperability alerts of outputs.md (section 1) on every cut-off that
    `cutoffs_query` returns (one column, `c`): the one definition behind
    marts.alertas_interoperabilidad (the latest cut-off) and marts.alertas_historial
    (every registry cut-off). One row per cut-off, code and person.
    "Held" = in the registry extract of that cut-off; a person's resolutions are those of
    every case they are the subject of (matched across sources), issued by the cut-off,
    in their current version (so a past cut-off is judged with today's corrections). -#}
{% macro interop_alerts(cutoffs_query) %}
with cutoff as (
    {{ cutoffs_query }}
),

held as (
    select cutoff.c, h.*
    from {{ ref('situacion_juridica_historial') }} as h
    inner join cutoff on h.fecha_corte = cutoff.c
),

resolutions as (
    select * from {{ ref('resolucion_judicial') }} where persona_key is not null
),

-- The standing order: the latest detention or release order (ties: the later id).
standing as (
    {{ latest_resolution_on_each_cutoff('resolutions', 'cutoff') }}
),

latest_effective_sentence as (
    {{ latest_resolution_on_each_cutoff('resolutions', 'cutoff', "tipo = 'SENTENCIA_CONDENATORIA' and pena_clase = 'PRIVATIVA_EFECTIVA'") }}
),

-- When the person first had a condemnatory sentence, a detention order (compared with
-- each cut-off where used: one row per person, not per cut-off and person).
first_dates as (
    select
        persona_key,
        min(case when tipo = 'SENTENCIA_CONDENATORIA' then fecha_emision end) as first_condemnatory,
        min(case when orden = 'DETENCION' then fecha_emision end) as first_detention_order
    from resolutions
    group by persona_key
),

-- Preventive-detention end: the latest PRISION_PREVENTIVA's start + its term +
-- every later prolongation in the same case issued by the cut-off. The prolongations are
-- summed per term and cut-off (a few per term), not per cut-off and person.
latest_pp as (
    {{ latest_resolution_on_each_cutoff('resolutions', 'cutoff', "tipo = 'PRISION_PREVENTIVA'") }}
),

prolongations as (
    select cutoff.c, pp.resolucion_id, sum(pr.pp_plazo_meses) as meses
    from resolutions as pp
    inner join resolutions as pr on {{ is_later_prolongation('pr', 'pp') }}
    inner join cutoff on pr.fecha_emision <= cutoff.c
    where pp.tipo = 'PRISION_PREVENTIVA'
    group by cutoff.c, pp.resolucion_id
),

preventive_end as (
    select pp.c, pp.persona_key, {{ preventive_term_end('pp', 'pr.meses') }} as fecha_fin
    from latest_pp as pp
    left join prolongations as pr on pr.c = pp.c and pr.resolucion_id = pp.resolucion_id
),

-- From which delivery a person has a medio libre case, and from when they are dead.
in_medio_libre as (
    select persona_key, min(fecha_corte_entrega) as desde
    from {{ ref('medida_medio_libre_version') }}
    group by persona_key
),

deceased as (
    select persona_key, min(fecha_movimiento) as desde
    from {{ ref('movimiento_penitenciario') }}
    where tipo_movimiento = 'EGRESO' and motivo = 'FALLECIMIENTO' and persona_key is not null
    group by persona_key
),

-- Each cut-off's held persons and the persons with a standing order who are not held
-- (h_persona_key null), with their facts: one join for all six alerts (standing, the
-- preventive end and the effective sentence are at most one row per cut-off and person).
facts as (
    select
        coalesce(h.c, s.c) as c, coalesce(h.persona_key, s.persona_key) as persona_key,
        h.persona_key as h_persona_key, h.expediente, h.cod_ep, h.situacion_juridica, h.fecha_ingreso,
        s.resolucion_id, s.expediente as s_expediente, s.tipo, s.orden, s.fecha_emision,
        s.pena_clase, s.pena_fecha_fin,
        coalesce(f.first_condemnatory <= h.c, false) as has_condemnatory,
        coalesce(f.first_detention_order <= h.c, false) as has_detention_order,
        pe.fecha_fin,
        e.persona_key is not null as has_effective_sentence,
        e.resolucion_id as e_resolucion_id, e.expediente as e_expediente, e.fecha_emision as e_fecha_emision
    from held as h
    full join standing as s on s.c = h.c and s.persona_key = h.persona_key
    left join first_dates as f on f.persona_key = h.persona_key
    left join preventive_end as pe on pe.c = s.c and pe.persona_key = s.persona_key
    left join latest_effective_sentence as e on e.c = h.c and e.persona_key = h.persona_key
    -- Of those not held, only a standing detention order can raise an alert.
    where h.persona_key is not null or s.orden = 'DETENCION'
),

held_facts as (
    select * from facts where h_persona_key is not null
),

held_alerts as (
    select
        c, 'LIBERTAD_NO_EJECUTADA' as codigo_alerta, persona_key, s_expediente as expediente, cod_ep,
        fecha_emision as fecha_referencia,
        'Orden de libertad (' || tipo || ' ' || resolucion_id || ') no ejecutada' as detalle
    from held_facts
    where orden = 'LIBERTAD' and fecha_emision < c - 1

    union all
    select
        c, 'PRISION_PREVENTIVA_VENCIDA', persona_key, s_expediente, cod_ep, fecha_fin,
        'Plazo de prisión preventiva vencido el ' || cast(fecha_fin as varchar) || ' sin prolongación ni sentencia'
    from held_facts
    where orden = 'DETENCION' and not has_condemnatory and fecha_fin < c

    union all
    select
        c, 'PENA_CUMPLIDA_SIN_EGRESO', persona_key, s_expediente, cod_ep, pena_fecha_fin,
        'Pena vencida el ' || cast(pena_fecha_fin as varchar) || ' sin egreso registrado'
    from held_facts
    where tipo = 'SENTENCIA_CONDENATORIA' and pena_clase = 'PRIVATIVA_EFECTIVA' and pena_fecha_fin < c

    union all
    select
        c, 'SITUACION_JURIDICA_DISCREPANTE', persona_key, coalesce(e_expediente, expediente), cod_ep,
        coalesce(e_fecha_emision, fecha_ingreso),
        case when has_effective_sentence
             then 'Registro dice PROCESADO; existe sentencia condenatoria efectiva ' || e_resolucion_id
             else 'Registro dice SENTENCIADO; no hay sentencia condenatoria efectiva' end
    from held_facts
    where (situacion_juridica = 'PROCESADO' and has_effective_sentence)
       or (situacion_juridica = 'SENTENCIADO' and not has_effective_sentence)

    union all
    select
        c, 'INTERNO_SIN_MANDATO', persona_key, expediente, cod_ep, fecha_ingreso,
        'Interno sin ninguna orden de detención del Poder Judicial'
    from held_facts
    where not has_detention_order
),

not_held_alerts as (
    select
        p.c, 'MANDATO_SIN_INGRESO' as codigo_alerta, p.persona_key, p.s_expediente as expediente,
        cast(null as varchar) as cod_ep, p.fecha_emision as fecha_referencia,
        'Orden de detención vigente (' || p.tipo || ' ' || p.resolucion_id || ') sin ingreso al penal' as detalle
    from facts as p
    where p.h_persona_key is null and p.orden = 'DETENCION'
      and not exists (select 1 from in_medio_libre as m where m.persona_key = p.persona_key and m.desde <= p.c)
      and not exists (select 1 from deceased as d where d.persona_key = p.persona_key and d.desde <= p.c)
      and (
          p.tipo = 'REVOCATORIA'
          or (p.tipo = 'SENTENCIA_CONDENATORIA' and p.pena_fecha_fin >= p.c)
          or (p.tipo in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA') and p.fecha_fin >= p.c)
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
    cast(a.c - a.fecha_referencia as integer) as dias_abierta,
    a.detalle,
    a.c as fecha_corte
from alerts as a
{% endmacro %}

{#- Whether a row of marts.ejecucion_ordenes still waits on the cut-off: nothing has
    executed it yet; an admission order also waits when its person is not in the
    registry at all (never taken into custody). -#}
{% macro waiting_order(tipo_orden, motivo_no_ejecutada) -%}
coalesce({{ motivo_no_ejecutada }} = 'SIN_MOVIMIENTO'
         or ({{ tipo_orden }} = 'INGRESO' and {{ motivo_no_ejecutada }} = 'PERSONA_FUERA_DEL_REGISTRO'), false)
{%- endmacro %}
