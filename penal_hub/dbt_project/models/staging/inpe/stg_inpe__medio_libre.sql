{#- Medio libre JSON lines, typed: one row per landed line (versions and repeats
    included; int_ml__casos_versiones keeps each version once). -#}
{%- set record_fields = {
    'tipo_documento': ['persona', 'tipo_documento'],
    'numero_documento': ['persona', 'numero_documento'],
    'apellido_paterno': ['persona', 'apellido_paterno'],
    'apellido_materno': ['persona', 'apellido_materno'],
    'nombres': ['persona', 'nombres'],
    'fecha_nacimiento_texto': ['persona', 'fecha_nacimiento'],
    'sexo': ['persona', 'sexo'],
    'expediente_original': ['expediente'],
    'organo_jurisdiccional': ['organo_jurisdiccional'],
    'tipo_medida': ['tipo_medida'],
    'establecimiento_medio_libre': ['establecimiento_medio_libre'],
    'fecha_inicio_texto': ['fecha_inicio'],
    'jornadas_impuestas': ['jornadas_impuestas'],
    'jornadas_cumplidas': ['jornadas_cumplidas'],
    'estado': ['estado'],
    'motivo_estado': ['motivo_estado'],
    'programa_tratamiento': ['programa_tratamiento', 'programa'],
    'evaluacion_tratamiento': ['programa_tratamiento', 'evaluacion'],
    've_dispositivo': ['vigilancia_electronica', 'dispositivo'],
    've_fecha_instalacion': ['vigilancia_electronica', 'fecha_instalacion'],
    've_activo': ['vigilancia_electronica', 'activo'],
} -%}

with source as (
    {{ landed_with_cutoff(source('raw_inpe', 'inpe_medio_libre')) }}
),

parsed as (
    select *, {{ parse_json_fields('record', record_fields) }} as record_fields
    from source
),

extracted as (
    select
        id_caso,
        {{ to_int('version') }} as version,
        {{ parse_date('fecha_actualizacion') }} as fecha_actualizacion,
        {{ json_field_columns('record_fields', record_fields) }},
        cast(delivery_fecha_corte as date) as fecha_corte,
        _delivery_id,
        _file,
        _record_ordinal,
        _loaded_at
    from parsed
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
    {{ to_int('jornadas_impuestas') }} as jornadas_impuestas,
    {{ to_int('jornadas_cumplidas') }} as jornadas_cumplidas,
    estado,
    motivo_estado,
    programa_tratamiento,
    evaluacion_tratamiento,
    ve_dispositivo,
    {{ parse_date('ve_fecha_instalacion') }} as ve_fecha_instalacion,
    {{ to_boolean('ve_activo') }} as ve_activo,
    fecha_corte,
    _delivery_id,
    _file,
    _record_ordinal,
    _loaded_at
from extracted
