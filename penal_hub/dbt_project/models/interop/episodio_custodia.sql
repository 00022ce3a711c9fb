{#- One row per stay in an establishment. Movements give exact dates; a person
    already held when the registry's first extract arrived starts at FECHA_INGRESO,
    in the establishment they were in before any transfer. -#}
with movements as (
    select * from {{ ref('int_inpe__movimientos') }}
),

first_seen as (
    select *, row_number() over (partition by id_interno order by fecha_corte) as seen_rank
    from {{ ref('stg_inpe__internos') }}
),

first_movement as (
    select id_interno, tipo_movimiento, cod_ep_origen,
           row_number() over (partition by id_interno order by fecha_movimiento, tipo_movimiento) as movement_rank
    from movements
),

-- Persons whose admission predates every movement the hub has.
earlier_admissions as (
    select
        f.id_interno,
        f.fecha_ingreso as fecha,
        coalesce(case when t.tipo_movimiento in ('TRASLADO', 'EGRESO') then t.cod_ep_origen end, f.cod_ep) as cod_ep,
        'INGRESO' as tipo_movimiento,
        'ANTERIOR_A_LOS_DATOS' as motivo
    from first_seen as f
    left join first_movement as t on t.id_interno = f.id_interno and t.movement_rank = 1
    where f.seen_rank = 1
      and not exists (
          select 1 from movements as m
          where m.id_interno = f.id_interno and m.tipo_movimiento = 'INGRESO'
            and m.fecha_movimiento <= f.fecha_corte
      )
),

events as (
    select id_interno, fecha, cod_ep, tipo_movimiento, motivo from earlier_admissions
    union all
    select id_interno, fecha_movimiento, cod_ep_destino, tipo_movimiento, motivo from movements
),

sequenced as (
    select
        *,
        lead(fecha) over (partition by id_interno order by fecha, tipo_movimiento) as fecha_siguiente,
        lead(tipo_movimiento) over (partition by id_interno order by fecha, tipo_movimiento) as tipo_siguiente,
        lead(motivo) over (partition by id_interno order by fecha, tipo_movimiento) as motivo_siguiente
    from events
)

select
    s.id_interno || '|' || cast(s.fecha as varchar) || '|' || s.cod_ep as episodio_id,
    c.persona_key,
    s.id_interno,
    s.cod_ep,
    s.fecha as fecha_inicio,
    s.fecha_siguiente as fecha_fin,
    s.tipo_movimiento || ':' || s.motivo as motivo_inicio,
    s.tipo_siguiente || ':' || s.motivo_siguiente as motivo_fin
from sequenced as s
left join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_registro' and c.fuente_id = s.id_interno
where s.tipo_movimiento in ('INGRESO', 'TRASLADO') and s.cod_ep is not null
