{#- How long each court order of the year waited for INPE to execute it
    (docs/outputs.md, "Execution of court orders"). One row per order:
    - a release order (orden LIBERTAD) is executed by the person's first EGRESO on or
      after its FechaEmision;
    - an admission order (PRISION_PREVENTIVA, REVOCATORIA, a SENTENCIA_CONDENATORIA with
      PRIVATIVA_EFECTIVA) by the person's first INGRESO on or after it.
    The year: orders issued from 1 January of the first registry cut-off's year (the
    registry's movements start there) to the latest registry cut-off C. -#}
with cutoff as (
    select max(fecha_corte) as c, {{ year_start('min(fecha_corte)') }} as desde
    from {{ ref('situacion_juridica_historial') }}
),

orders as (
    select
        r.resolucion_id,
        r.persona_key,
        r.expediente,
        r.distrito_judicial,
        r.tipo as tipo_resolucion,
        r.fecha_emision,
        case when r.orden = 'LIBERTAD' then 'LIBERTAD' else 'INGRESO' end as tipo_orden,
        case when r.orden = 'LIBERTAD' then 'EGRESO' else 'INGRESO' end as movimiento_esperado,
        -- The order that undoes it: a detention order undoes a release, and back.
        case when r.orden = 'LIBERTAD' then 'DETENCION' else 'LIBERTAD' end as orden_contraria
    from {{ ref('resolucion_judicial') }} as r
    cross join cutoff
    where r.persona_key is not null
      and r.fecha_emision between cutoff.desde and cutoff.c
      and (r.orden = 'LIBERTAD' or r.tipo in ('PRISION_PREVENTIVA', 'REVOCATORIA')
           or (r.tipo = 'SENTENCIA_CONDENATORIA' and r.pena_clase = 'PRIVATIVA_EFECTIVA'))
),

movements as (
    select persona_key, tipo_movimiento, fecha_movimiento, motivo,
           coalesce(cod_ep_origen, cod_ep_destino) as cod_ep
    from {{ ref('movimiento_penitenciario') }}
    where tipo_movimiento in ('INGRESO', 'EGRESO') and persona_key is not null
),

registry_persons as (
    select persona_key from {{ ref('situacion_juridica_historial') }}
    union
    select persona_key from movements
),

-- The person's last admission or release before the order's day (same day: an
-- EGRESO sorts before an INGRESO, as in interop.episodio_custodia).
movement_before as (
    select * from (
        select o.resolucion_id, m.tipo_movimiento,
               row_number() over (partition by o.resolucion_id
                                  order by m.fecha_movimiento desc, m.tipo_movimiento desc) as recency
        from orders as o
        inner join movements as m on m.persona_key = o.persona_key and m.fecha_movimiento < o.fecha_emision
    ) as ranked
    where recency = 1
),

movement_after as (
    select * from (
        select o.resolucion_id, m.tipo_movimiento,
               row_number() over (partition by o.resolucion_id
                                  order by m.fecha_movimiento, m.tipo_movimiento) as rank_after
        from orders as o
        inner join movements as m on m.persona_key = o.persona_key and m.fecha_movimiento >= o.fecha_emision
    ) as ranked
    where rank_after = 1
),

execution as (
    select * from (
        select o.resolucion_id, m.fecha_movimiento, m.motivo, m.cod_ep,
               row_number() over (partition by o.resolucion_id order by m.fecha_movimiento) as rank_after
        from orders as o
        inner join movements as m
            on m.persona_key = o.persona_key
            and m.tipo_movimiento = o.movimiento_esperado
            and m.fecha_movimiento >= o.fecha_emision
    ) as ranked
    where rank_after = 1
),

-- The first later order that undoes it (same day: the later resolution id, as for the
-- standing order of the alerts).
contrary as (
    select o.resolucion_id, min(r.fecha_emision) as fecha_emision
    from orders as o
    inner join {{ ref('resolucion_judicial') }} as r
        on r.persona_key = o.persona_key
        and r.orden = o.orden_contraria
        and (r.fecha_emision > o.fecha_emision
             or (r.fecha_emision = o.fecha_emision and r.resolucion_id collate "C" > o.resolucion_id collate "C"))
    group by o.resolucion_id
),

-- Where the person was on the order's day: the last movement before it says; with none,
-- a first movement that is an INGRESO says they were free, otherwise they were held
-- since before the registry's data began.
judged as (
    select
        o.*,
        x.fecha_movimiento as fecha_ejecucion,
        x.motivo as motivo_movimiento,
        x.cod_ep as cod_ep_movimiento,
        case
            when o.persona_key not in (select persona_key from registry_persons) then 'PERSONA_FUERA_DEL_REGISTRO'
            when (case when b.tipo_movimiento is not null then b.tipo_movimiento = 'EGRESO'
                       when a.tipo_movimiento is not null then a.tipo_movimiento = 'INGRESO'
                       else false end)
                 = (o.tipo_orden = 'LIBERTAD') then 'MOVIMIENTO_ANTERIOR_A_LA_ORDEN'
            when k.fecha_emision is not null and (x.fecha_movimiento is null or k.fecha_emision < x.fecha_movimiento)
                then 'ORDEN_POSTERIOR_CONTRARIA'
            when x.fecha_movimiento is not null then null
            else 'SIN_MOVIMIENTO'
        end as motivo_no_ejecutada
    from orders as o
    left join movement_before as b on b.resolucion_id = o.resolucion_id
    left join movement_after as a on a.resolucion_id = o.resolucion_id
    left join execution as x on x.resolucion_id = o.resolucion_id
    left join contrary as k on k.resolucion_id = o.resolucion_id
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
    j.fecha_emision,
    case when j.motivo_no_ejecutada is null then j.fecha_ejecucion end as fecha_ejecucion,
    case when j.motivo_no_ejecutada is null then j.motivo_movimiento end as motivo_movimiento,
    case when j.motivo_no_ejecutada is null
         then cast(j.fecha_ejecucion - j.fecha_emision as integer) end as dias_ejecucion,
    j.motivo_no_ejecutada,
    {{ waiting_order('j.tipo_orden', 'j.motivo_no_ejecutada') }} as en_espera,
    case when {{ waiting_order('j.tipo_orden', 'j.motivo_no_ejecutada') }}
         then cast(cutoff.c - j.fecha_emision as integer) end as dias_espera,
    -- The establishment that executed it; for a release still waiting, where the person is held.
    case when j.motivo_no_ejecutada is null then j.cod_ep_movimiento
         when j.tipo_orden = 'LIBERTAD' and j.motivo_no_ejecutada = 'SIN_MOVIMIENTO' then h.cod_ep
    end as cod_ep,
    cutoff.c as fecha_corte
from judged as j
cross join cutoff
left join held_on_cutoff as h on h.persona_key = j.persona_key
