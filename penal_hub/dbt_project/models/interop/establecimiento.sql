{#- The establishments (EE.PP.) as the latest registry extract lists them. -#}
with ranked as (
    select *, row_number() over (partition by cod_ep order by fecha_corte desc) as recency
    from {{ ref('stg_inpe__establecimientos') }}
)

select cod_ep, nombre_ep, oficina_regional, departamento, capacidad_albergue
from ranked
where recency = 1
