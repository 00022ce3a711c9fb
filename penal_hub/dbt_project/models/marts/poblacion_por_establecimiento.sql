{#- Population, occupancy and overcrowding of every establishment on every registry
    cut-off. Overcrowding is INPE's figure: sobrepoblación = population over capacity
    as a % of capacity, and hacinamiento when it exceeds 20 %. Every establishment
    appears on every cut-off, empty ones at 0 %, so regional capacity adds up. -#}
with periods as (
    select distinct fecha_corte from {{ ref('situacion_juridica_historial') }}
),

held as (
    select
        h.fecha_corte,
        h.cod_ep,
        count(*) as poblacion,
        sum(case when p.sexo = 'M' then 1 else 0 end) as hombres,
        sum(case when p.sexo = 'F' then 1 else 0 end) as mujeres,
        sum(case when h.situacion_juridica = 'PROCESADO' then 1 else 0 end) as procesados,
        sum(case when h.situacion_juridica = 'SENTENCIADO' then 1 else 0 end) as sentenciados
    from {{ ref('situacion_juridica_historial') }} as h
    left join {{ ref('persona') }} as p on p.persona_key = h.persona_key
    group by h.fecha_corte, h.cod_ep
),

counted as (
    select
        p.fecha_corte,
        e.cod_ep,
        e.nombre_ep,
        e.oficina_regional,
        e.departamento,
        e.capacidad_albergue,
        coalesce(h.poblacion, 0) as poblacion,
        coalesce(h.hombres, 0) as hombres,
        coalesce(h.mujeres, 0) as mujeres,
        coalesce(h.procesados, 0) as procesados,
        coalesce(h.sentenciados, 0) as sentenciados,
        -- Under capacity there is no overpopulation (INPE reports 0, not a negative figure).
        greatest(coalesce(h.poblacion, 0) - e.capacidad_albergue, 0) as sobrepoblacion
    from periods as p
    -- interop tests that every cod_ep held is in establecimiento, so nobody is lost here.
    cross join {{ ref('establecimiento') }} as e
    left join held as h on h.fecha_corte = p.fecha_corte and h.cod_ep = e.cod_ep
),

rated as (
    select
        *,
        {{ pct_half_up('poblacion', 'capacidad_albergue') }} as pct_ocupacion,
        {{ pct_half_up('sobrepoblacion', 'capacidad_albergue') }} as pct_sobrepoblacion
    from counted
)

select
    fecha_corte,
    cod_ep,
    nombre_ep as establecimiento,
    oficina_regional,
    departamento,
    cast(capacidad_albergue as integer) as capacidad_albergue,
    cast(poblacion as integer) as poblacion,
    cast(hombres as integer) as hombres,
    cast(mujeres as integer) as mujeres,
    cast(procesados as integer) as procesados,
    cast(sentenciados as integer) as sentenciados,
    cast(pct_ocupacion as decimal(18, 2)) as pct_ocupacion,
    cast(sobrepoblacion as integer) as sobrepoblacion,
    cast(pct_sobrepoblacion as decimal(18, 2)) as pct_sobrepoblacion,
    pct_sobrepoblacion > 20 as hacinamiento
from rated
