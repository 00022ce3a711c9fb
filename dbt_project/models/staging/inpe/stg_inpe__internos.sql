{#- internos.csv, typed: one row per person held on each registry cut-off. -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_internos')) }}
),

renamed as (
    select
        -- ids
        id_interno,
        cast(delivery_fecha_corte as date) as fecha_corte,
        -- person
        {{ person_columns('tipo_documento', 'numero_documento', 'apellido_paterno',
                          'apellido_materno', 'nombres', 'fecha_nacimiento', 'sexo') }},
        nullif(trim(numero_documento), '') as doc_numero_original,
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
