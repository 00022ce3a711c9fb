{#- establecimientos.csv, typed: the catalogue of establishments in each extract. -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_establecimientos')) }}
)

select
    upper(trim(cod_ep)) as cod_ep,
    trim(nombre_ep) as nombre_ep,
    trim(oficina_regional) as oficina_regional,
    trim(departamento) as departamento,
    {{ to_int('capacidad_albergue') }} as capacidad_albergue,
    cast(delivery_fecha_corte as date) as fecha_corte,
    _delivery_id,
    _loaded_at
from source
