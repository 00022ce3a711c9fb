{#- Court resolutions, typed and normalised: one row per landed Resolucion element
    (re-sent copies included; int_pj__resoluciones_vigentes keeps the current version). -#}
with source as (
    select r.*, d.fecha_corte as delivery_fecha_corte
    from {{ source('raw_pj', 'pj_resoluciones') }} as r
    inner join {{ source('raw_hub', 'deliveries') }} as d on d.delivery_id = r._delivery_id
),

renamed as (
    select
        -- ids
        id as resolucion_id,
        cast(version as integer) as version,
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
        case when upper(trim(documento_tipo)) = 'NO_IDENTIFICADO' then null
             else nullif(upper(trim(documento_tipo)), '') end as doc_tipo,
        {{ normalize_document('documento_tipo', 'documento_numero') }} as doc_numero,
        {{ document_is_valid('documento_tipo', 'documento_numero') }} as doc_valido,
        apellido_paterno,
        nullif(trim(apellido_materno), '') as apellido_materno,
        nombres,
        {{ normalize_name('apellido_paterno') }} as apellido_paterno_norm,
        {{ normalize_name('apellido_materno') }} as apellido_materno_norm,
        {{ sorted_tokens(normalize_name('nombres')) }} as nombres_norm,
        {{ parse_date('fecha_nacimiento') }} as fecha_nacimiento,
        nullif(upper(trim(sexo)), '') as sexo,
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
