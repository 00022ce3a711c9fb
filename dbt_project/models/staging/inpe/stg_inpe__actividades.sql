{#- actividades.csv, typed: one row per enrolment and extract. -#}
with source as (
    select a.*, d.fecha_corte as delivery_fecha_corte
    from {{ source('raw_inpe', 'inpe_actividades') }} as a
    inner join {{ source('raw_hub', 'deliveries') }} as d on d.delivery_id = a._delivery_id
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
