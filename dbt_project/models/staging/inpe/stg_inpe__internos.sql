{#- internos.csv, typed: one row per person held on each registry cut-off. -#}
with source as (
    select i.*, d.fecha_corte as delivery_fecha_corte
    from {{ source('raw_inpe', 'inpe_internos') }} as i
    inner join {{ source('raw_hub', 'deliveries') }} as d on d.delivery_id = i._delivery_id
),

renamed as (
    select
        -- ids
        id_interno,
        cast(delivery_fecha_corte as date) as fecha_corte,
        -- person
        nullif(upper(trim(tipo_documento)), '') as doc_tipo,
        {{ normalize_document('tipo_documento', 'numero_documento') }} as doc_numero,
        {{ document_is_valid('tipo_documento', 'numero_documento') }} as doc_valido,
        nullif(trim(numero_documento), '') as doc_numero_original,
        apellido_paterno,
        nullif(trim(apellido_materno), '') as apellido_materno,
        nombres,
        {{ normalize_name('apellido_paterno') }} as apellido_paterno_norm,
        {{ normalize_name('apellido_materno') }} as apellido_materno_norm,
        {{ sorted_tokens(normalize_name('nombres')) }} as nombres_norm,
        nullif(upper(trim(sexo)), '') as sexo,
        {{ parse_date('fecha_nacimiento') }} as fecha_nacimiento,
        nullif(trim(nacionalidad), '') as nacionalidad,
        -- custody
        upper(trim(cod_ep)) as cod_ep,
        upper(trim(situacion_juridica)) as situacion_juridica,
        {{ parse_date('fecha_ingreso') }} as fecha_ingreso,
        {{ normalize_expediente('numero_expediente') }} as expediente,
        numero_expediente as expediente_original,
        -- offence and sentence
        {{ normalize_text('delito_generico') }} as delito_generico,
        {{ normalize_text('delito_especifico') }} as delito_especifico,
        nullif(trim(articulo_cp), '') as articulo_cp,
        {{ to_int('pena_anios') }} as pena_anios,
        {{ to_int('pena_meses') }} as pena_meses,
        {{ parse_date('fecha_sentencia') }} as fecha_sentencia,
        {{ parse_date('fecha_vencimiento_pena') }} as fecha_vencimiento_pena,
        -- lineage
        _delivery_id,
        _file,
        _record_ordinal,
        _loaded_at
    from source
)

select * from renamed
