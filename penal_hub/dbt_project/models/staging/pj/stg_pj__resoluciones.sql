{#- Court resolutions, typed and normalised: one row per landed Resolucion element
    (re-sent copies included; int_pj__resoluciones_vigentes keeps the current version). -#}
with source as (
    {{ landed_with_cutoff(source('raw_pj', 'pj_resoluciones')) }}
),

renamed as (
    select
        -- ids
        id as resolucion_id,
        {{ to_int('version') }} as version,
        id_lote,
        cast(delivery_fecha_corte as date) as fecha_corte,
        -- case and court
        {{ normalize_expediente('expediente') }} as expediente,
        expediente as expediente_original,
        upper(trim(organo_codigo)) as organo_codigo,
        split_part(upper(trim(organo_codigo)), '-', 2) as organo_tipo,
        {{ normalize_text('distrito_judicial') }} as distrito_judicial,
        trim(organo) as organo_nombre,
        -- the resolution
        {{ parse_date('fecha_emision') }} as fecha_emision,
        upper(trim(tipo)) as tipo,
        -- the subject
        {{ person_columns('documento_tipo', 'documento_numero', 'apellido_paterno', 'apellido_materno',
                          'nombres', 'fecha_nacimiento', 'sexo') }},
        -- offence: the first one listed is the main one
        {{ json_text('delitos', [0, 'articulo']) }} as articulo,
        {{ normalize_text(json_text('delitos', [0, 'descripcion'])) }} as delito_descripcion,
        delitos as delitos_json,
        -- terms
        {{ to_int('prision_preventiva_plazo_meses') }} as pp_plazo_meses,
        {{ parse_date('prision_preventiva_fecha_inicio') }} as pp_fecha_inicio,
        nullif(upper(trim(pena_clase)), '') as pena_clase,
        {{ to_int('pena_anios') }} as pena_anios,
        {{ to_int('pena_meses') }} as pena_meses,
        {{ to_int('pena_dias') }} as pena_dias,
        {{ to_int('pena_jornadas') }} as pena_jornadas,
        {{ parse_date('pena_fecha_inicio') }} as pena_fecha_inicio,
        {{ parse_date('pena_fecha_vencimiento') }} as pena_fecha_vencimiento,
        nullif(upper(trim(beneficio_clase)), '') as beneficio_clase,
        -- lineage
        _delivery_id,
        _file,
        _record_ordinal,
        _loaded_at
    from source
)

select * from renamed
