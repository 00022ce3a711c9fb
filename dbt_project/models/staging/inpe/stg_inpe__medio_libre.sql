{#- Medio libre JSON lines, typed: one row per landed line (versions and repeats
    included; int_ml__casos_versiones keeps each version once). -#}
with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_medio_libre')) }}
),

extracted as (
    select
        id_caso,
        cast(version as integer) as version,
        {{ parse_date('fecha_actualizacion') }} as fecha_actualizacion,
        {{ json_text('record', ['persona', 'tipo_documento']) }} as tipo_documento,
        {{ json_text('record', ['persona', 'numero_documento']) }} as numero_documento,
        {{ json_text('record', ['persona', 'apellido_paterno']) }} as apellido_paterno,
        {{ json_text('record', ['persona', 'apellido_materno']) }} as apellido_materno,
        {{ json_text('record', ['persona', 'nombres']) }} as nombres,
        {{ json_text('record', ['persona', 'fecha_nacimiento']) }} as fecha_nacimiento_texto,
        {{ json_text('record', ['persona', 'sexo']) }} as sexo,
        {{ json_text('record', ['expediente']) }} as expediente_original,
        {{ json_text('record', ['organo_jurisdiccional']) }} as organo_jurisdiccional,
        {{ json_text('record', ['tipo_medida']) }} as tipo_medida,
        {{ json_text('record', ['establecimiento_medio_libre']) }} as establecimiento_medio_libre,
        {{ json_text('record', ['fecha_inicio']) }} as fecha_inicio_texto,
        {{ json_text('record', ['jornadas_impuestas']) }} as jornadas_impuestas,
        {{ json_text('record', ['jornadas_cumplidas']) }} as jornadas_cumplidas,
        {{ json_text('record', ['estado']) }} as estado,
        {{ json_text('record', ['motivo_estado']) }} as motivo_estado,
        {{ json_text('record', ['programa_tratamiento', 'programa']) }} as programa_tratamiento,
        {{ json_text('record', ['programa_tratamiento', 'evaluacion']) }} as evaluacion_tratamiento,
        {{ json_text('record', ['vigilancia_electronica', 'dispositivo']) }} as ve_dispositivo,
        {{ json_text('record', ['vigilancia_electronica', 'fecha_instalacion']) }} as ve_fecha_instalacion,
        {{ json_text('record', ['vigilancia_electronica', 'activo']) }} as ve_activo,
        cast(delivery_fecha_corte as date) as fecha_corte,
        _delivery_id,
        _file,
        _record_ordinal,
        _loaded_at
    from source
)

select
    id_caso,
    version,
    fecha_actualizacion,
    {{ person_columns('tipo_documento', 'numero_documento', 'apellido_paterno', 'apellido_materno',
                      'nombres', 'fecha_nacimiento_texto', 'sexo') }},
    {{ normalize_expediente('expediente_original') }} as expediente,
    expediente_original,
    organo_jurisdiccional,
    tipo_medida,
    establecimiento_medio_libre,
    {{ parse_date('fecha_inicio_texto') }} as fecha_inicio,
    cast(jornadas_impuestas as integer) as jornadas_impuestas,
    cast(jornadas_cumplidas as integer) as jornadas_cumplidas,
    estado,
    motivo_estado,
    programa_tratamiento,
    evaluacion_tratamiento,
    ve_dispositivo,
    {{ parse_date('ve_fecha_instalacion') }} as ve_fecha_instalacion,
    cast(ve_activo as boolean) as ve_activo,
    fecha_corte,
    _delivery_id,
    _file,
    _record_ordinal,
    _loaded_at
from extracted
