{#- actividades.csv, typed: one row per enrolment and extract. -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_actividades')) }}
)

select
    id_interno,
    upper(trim(cod_ep)) as cod_ep,
    upper(trim(tipo_actividad)) as tipo_actividad,
    upper(trim(programa)) as programa,
    {{ parse_date('fecha_inicio') }} as fecha_inicio,
    {{ parse_date('fecha_fin') }} as fecha_fin,
    nullif(trim(convenio), '') as convenio,
    upper(trim(certificado)) as certificado,
    cast(delivery_fecha_corte as date) as fecha_corte,
    _delivery_id,
    _file,
    _record_ordinal,
    _loaded_at
from source
