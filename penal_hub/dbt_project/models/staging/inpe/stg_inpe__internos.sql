{#- internos.csv, typed: one row per person held on each registry cut-off. -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_internos')) }}
),

{#- Each cut-off repeats most records of the previous one word for word (at scale 1,
    1.2 million rows hold 140 thousand distinct records): the costly normalising is
    done once per distinct content hash, and the result joined back to every row. -#}
distinct_records as (
    -- From the raw table itself: reading it twice is cheaper than keeping the joined rows.
    select distinct on (_record_hash) *
    from {{ source('raw_inpe', 'inpe_internos') }}
    where {{ not_staged_yet('_delivery_id') }}
),

typed as (
    select
        _record_hash,
        id_interno,
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
        {{ parse_date('fecha_vencimiento_pena') }} as fecha_vencimiento_pena
    from distinct_records
)

select
    -- ids
    typed.id_interno,
    cast(source.delivery_fecha_corte as date) as fecha_corte,
    -- person
    typed.doc_tipo,
    typed.doc_numero,
    typed.doc_valido,
    typed.apellido_paterno,
    typed.apellido_materno,
    typed.nombres,
    typed.apellido_paterno_norm,
    typed.apellido_materno_norm,
    typed.nombres_norm,
    typed.fecha_nacimiento,
    typed.sexo,
    typed.doc_numero_original,
    typed.nacionalidad,
    -- custody
    typed.cod_ep,
    typed.situacion_juridica,
    typed.fecha_ingreso,
    typed.expediente,
    typed.expediente_original,
    -- offence and sentence
    typed.delito_generico,
    typed.delito_especifico,
    typed.articulo_cp,
    typed.pena_anios,
    typed.pena_meses,
    typed.fecha_sentencia,
    typed.fecha_vencimiento_pena,
    -- lineage
    source._delivery_id,
    source._file,
    source._record_ordinal,
    source._loaded_at
from source
inner join typed on typed._record_hash = source._record_hash
