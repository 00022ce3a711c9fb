{#- How long each court order of the year waited for INPE to execute it
    (docs/outputs.md, "Execution of court orders"). One row per order, and one per ended
    preventive-detention term:
    - a release order (orden LIBERTAD) is executed by the person's first EGRESO on or
      after its FechaEmision;
    - an admission order (PRISION_PREVENTIVA, REVOCATORIA, a SENTENCIA_CONDENATORIA with
      PRIVATIVA_EFECTIVA) by the person's first INGRESO on or after it;
    - a preventive term that ended (FIN_PRISION_PREVENTIVA) by the first EGRESO or
      condemnatory sentence of its case on or after its end.
    The year: orders issued (terms ended) from 1 January of the first registry cut-off's
    year (the registry's movements start there) to the latest registry cut-off C. -#}
with cutoff as (
    select max(fecha_corte) as c, {{ year_start('min(fecha_corte)') }} as desde
    from {{ ref('situacion_juridica_historial') }}
),

resolutions as (
    select * from {{ ref('resolucion_judicial') }} where persona_key is not null
),

movements as (
    select persona_key, tipo_movimiento, fecha_movimiento, motivo,
           coalesce(cod_ep_origen, cod_ep_destino) as cod_ep
    from {{ ref('movimiento_penitenciario') }}
    where tipo_movimiento in ('INGRESO', 'EGRESO') and persona_key is not null
),

-- Each case's preventive term: its latest PRISION_PREVENTIVA, prolonged (as the alerts do).
latest_pp as (
    {{ latest_resolution_per_person('resolutions', "tipo = 'PRISION_PREVENTIVA'", per='persona_key, expediente') }}
),

terms as (
    select
        pp.resolucion_id, pp.persona_key, pp.expediente, pp.distrito_judicial, pp.tipo, pp.fecha_emision,
        {{ preventive_term_end('pp', 'sum(pr.pp_plazo_meses)') }} as fecha_fin
    from latest_pp as pp
    left join resolutions as pr on {{ is_later_prolongation('pr', 'pp') }}
    group by pp.resolucion_id, pp.persona_key, pp.expediente, pp.distrito_judicial, pp.tipo,
             pp.fecha_emision, pp.pp_fecha_inicio, pp.pp_plazo_meses
),

-- A term ended when it still held: no EGRESO and no sentence of its case from its order
-- to the day before its end.
ended_terms as (
    select t.*
    from terms as t
    cross join cutoff
    where t.fecha_fin between cutoff.desde and cutoff.c
      and not exists (
          select 1 from movements as m
          where m.persona_key = t.persona_key and m.tipo_movimiento = 'EGRESO'
            and m.fecha_movimiento >= t.fecha_emision and m.fecha_movimiento < t.fecha_fin)
      and not exists (
          select 1 from resolutions as s
          where s.persona_key = t.persona_key and s.expediente = t.expediente
            and s.tipo = 'SENTENCIA_CONDENATORIA'
            and s.fecha_emision >= t.fecha_emision and s.fecha_emision < t.fecha_fin)
),

orders as (
    select
        r.resolucion_id,
        r.persona_key,
        r.expediente,
        r.distrito_judicial,
        r.tipo as tipo_resolucion,
        r.fecha_emision,
        r.fecha_emision as fecha_referencia,
        case when r.orden = 'LIBERTAD' then 'LIBERTAD' else 'INGRESO' end as tipo_orden,
        case when r.orden = 'LIBERTAD' then 'EGRESO' else 'INGRESO' end as movimiento_esperado,
        -- The order that undoes it: a detention order undoes a release, and back.
        case when r.orden = 'LIBERTAD' then 'DETENCION' else 'LIBERTAD' end as orden_contraria
    from resolutions as r
    cross join cutoff
    where r.fecha_emision between cutoff.desde and cutoff.c
      and (r.orden = 'LIBERTAD' or r.tipo in ('PRISION_PREVENTIVA', 'REVOCATORIA')
           or (r.tipo = 'SENTENCIA_CONDENATORIA' and r.pena_clase = 'PRIVATIVA_EFECTIVA'))

    union all
    select
        resolucion_id, persona_key, expediente, distrito_judicial, tipo, fecha_emision,
        fecha_fin, 'FIN_PRISION_PREVENTIVA', 'EGRESO', cast(null as varchar)
    from ended_terms
),

registry_persons as (
    select persona_key from {{ ref('situacion_juridica_historial') }}
    union
    select persona_key from movements
),

-- The person's last admission or release before the reference day (same day: an
-- EGRESO sorts before an INGRESO, as in interop.episodio_custodia).
movement_before as (
    select * from (
        select o.resolucion_id, o.tipo_orden, m.tipo_movimiento,
               row_number() over (partition by o.resolucion_id, o.tipo_orden
                                  order by m.fecha_movimiento desc, m.tipo_movimiento desc) as recency
        from orders as o
        inner join movements as m on m.persona_key = o.persona_key and m.fecha_movimiento < o.fecha_referencia
    ) as ranked
    where recency = 1
),

movement_after as (
    select * from (
        select o.resolucion_id, o.tipo_orden, m.tipo_movimiento,
               row_number() over (partition by o.resolucion_id, o.tipo_orden
                                  order by m.fecha_movimiento, m.tipo_movimiento) as rank_after
        from orders as o
        inner join movements as m on m.persona_key = o.persona_key and m.fecha_movimiento >= o.fecha_referencia
    ) as ranked
    where rank_after = 1
),

-- What executes it: the expected movement; for an ended term also the case's sentence.
answers as (
    select o.resolucion_id, o.tipo_orden, m.fecha_movimiento as fecha, m.motivo, m.cod_ep
    from orders as o
    inner join movements as m
        on m.persona_key = o.persona_key
        and m.tipo_movimiento = o.movimiento_esperado
        and m.fecha_movimiento >= o.fecha_referencia

    union all
    select o.resolucion_id, o.tipo_orden, s.fecha_emision, 'SENTENCIA_CONDENATORIA', cast(null as varchar)
    from orders as o
    inner join resolutions as s
        on o.tipo_orden = 'FIN_PRISION_PREVENTIVA'
        and s.persona_key = o.persona_key and s.expediente = o.expediente
        and s.tipo = 'SENTENCIA_CONDENATORIA' and s.fecha_emision >= o.fecha_referencia
),

execution as (
    select * from (
        select a.*, row_number() over (partition by resolucion_id, tipo_orden
                                       order by fecha, motivo) as rank_after
        from answers as a
    ) as ranked
    where rank_after = 1
),

-- The first later order that undoes it (same day: the later resolution id, as for the
-- standing order of the alerts).
contrary as (
    select o.resolucion_id, o.tipo_orden, min(r.fecha_emision) as fecha_emision
    from orders as o
    inner join resolutions as r
        on r.persona_key = o.persona_key
        and r.orden = o.orden_contraria
        and (r.fecha_emision > o.fecha_emision
             or (r.fecha_emision = o.fecha_emision and r.resolucion_id collate "C" > o.resolucion_id collate "C"))
    group by o.resolucion_id, o.tipo_orden
),

-- Where the person was on the reference day: the last movement before it says; with
-- none, a first movement that is an INGRESO says they were free, otherwise they were
-- held since before the registry's data began.
judged as (
    select
        o.*,
        x.fecha as fecha_ejecucion,
        x.motivo as motivo_movimiento,
        x.cod_ep as cod_ep_movimiento,
        case
            when o.persona_key not in (select persona_key from registry_persons) then 'PERSONA_FUERA_DEL_REGISTRO'
            when (case when b.tipo_movimiento is not null then b.tipo_movimiento = 'EGRESO'
                       when a.tipo_movimiento is not null then a.tipo_movimiento = 'INGRESO'
                       else false end)
                 = (o.movimiento_esperado = 'EGRESO') then 'MOVIMIENTO_ANTERIOR_A_LA_ORDEN'
            when k.fecha_emision is not null and (x.fecha is null or k.fecha_emision < x.fecha)
                then 'ORDEN_POSTERIOR_CONTRARIA'
            when x.fecha is not null then null
            else 'SIN_MOVIMIENTO'
        end as motivo_no_ejecutada
    from orders as o
    left join movement_before as b on b.resolucion_id = o.resolucion_id and b.tipo_orden = o.tipo_orden
    left join movement_after as a on a.resolucion_id = o.resolucion_id and a.tipo_orden = o.tipo_orden
    left join execution as x on x.resolucion_id = o.resolucion_id and x.tipo_orden = o.tipo_orden
    left join contrary as k on k.resolucion_id = o.resolucion_id and k.tipo_orden = o.tipo_orden
),

held_on_cutoff as (
    select h.persona_key, min(h.cod_ep) as cod_ep
    from {{ ref('situacion_juridica_historial') }} as h
    inner join cutoff on h.fecha_corte = cutoff.c
    group by h.persona_key
)

select
    j.resolucion_id,
    j.persona_key,
    j.expediente,
    j.distrito_judicial,
    j.tipo_resolucion,
    j.tipo_orden,
    -- What would execute it, for the extract's waiting orders (an ended term: either).
    case j.tipo_orden when 'LIBERTAD' then 'EGRESO' when 'INGRESO' then 'INGRESO'
                      else 'EGRESO_O_SENTENCIA' end as espera,
    j.fecha_emision,
    j.fecha_referencia,
    case when j.motivo_no_ejecutada is null then j.fecha_ejecucion end as fecha_ejecucion,
    case when j.motivo_no_ejecutada is null then j.motivo_movimiento end as motivo_movimiento,
    case when j.motivo_no_ejecutada is null
         then cast(j.fecha_ejecucion - j.fecha_referencia as integer) end as dias_ejecucion,
    j.motivo_no_ejecutada,
    {{ waiting_order('j.tipo_orden', 'j.motivo_no_ejecutada') }} as en_espera,
    case when {{ waiting_order('j.tipo_orden', 'j.motivo_no_ejecutada') }}
         then cast(cutoff.c - j.fecha_referencia as integer) end as dias_espera,
    -- The establishment that executed it; for a release still waiting, where the person is held.
    case when j.motivo_no_ejecutada is null then j.cod_ep_movimiento
         when j.movimiento_esperado = 'EGRESO' and j.motivo_no_ejecutada = 'SIN_MOVIMIENTO' then h.cod_ep
    end as cod_ep,
    cutoff.c as fecha_corte
from judged as j
cross join cutoff
left join held_on_cutoff as h on h.persona_key = j.persona_key
