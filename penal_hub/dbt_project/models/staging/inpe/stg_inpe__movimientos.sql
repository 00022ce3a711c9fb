{#- movimientos.csv, typed. A movement is identified by what it says, so the same
    movement in a re-delivered extract is recognised. -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_movimientos')) }}
),

renamed as (
    select
        id_interno,
        upper(trim(tipo_movimiento)) as tipo_movimiento,
        {{ parse_date('fecha_movimiento') }} as fecha_movimiento,
        nullif(upper(trim(cod_ep_origen)), '') as cod_ep_origen,
        nullif(upper(trim(cod_ep_destino)), '') as cod_ep_destino,
        upper(trim(motivo)) as motivo,
        nullif(trim(documento_sustento), '') as documento_sustento,
        cast(delivery_fecha_corte as date) as fecha_corte,
        _delivery_id,
        _file,
        _record_ordinal,
        _loaded_at
    from source
)

select
    id_interno || '|' || tipo_movimiento || '|' || coalesce(cast(fecha_movimiento as varchar), '')
        || '|' || coalesce(cod_ep_origen, '') || '|' || coalesce(cod_ep_destino, '')
        || '|' || coalesce(motivo, '') as movimiento_id,
    *
from renamed
