{#- Medio libre cases on every registry cut-off, by measure, treatment programme and
    medio libre office: what was known of each case then (its highest version
    delivered by the cut-off), ACTIVO or PASIVO by reason. Compliance is OP04's:
    the share of cases that are ACTIVO, so summing the limitative rows gives
    indicadores_politica's OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE. -#}
{%- set pasivo_motivos = ['CUMPLIMIENTO', 'INTERRUPCION', 'PRESCRIPCION', 'RESISTENCIA', 'ABANDONO'] %}
with periods as (
    select distinct fecha_corte from {{ ref('situacion_juridica_historial') }}
),

known as (
    {{ medio_libre_as_known_on('periods', 'fecha_corte') }}
),

-- Programme and office are set when a case opens and no version changes them, so
-- they come from the current version (the version table carries only what changes).
cases as (
    select
        k.fecha_corte,
        k.tipo_medida,
        k.es_limitativa,
        coalesce(m.programa_tratamiento, 'SIN PROGRAMA') as programa_tratamiento,
        m.establecimiento_medio_libre,
        k.estado,
        k.motivo_estado
    from known as k
    inner join {{ ref('medida_medio_libre') }} as m on m.id_caso = k.id_caso
),

counted as (
    select
        fecha_corte,
        tipo_medida,
        es_limitativa,
        programa_tratamiento,
        establecimiento_medio_libre,
        count(*) as casos,
        sum(case when estado = 'ACTIVO' then 1 else 0 end) as activos,
        sum(case when estado = 'PASIVO' then 1 else 0 end) as pasivos
        {%- for motivo in pasivo_motivos %},
        sum(case when estado = 'PASIVO' and motivo_estado = '{{ motivo }}' then 1 else 0 end)
            as pasivos_{{ motivo | lower }}
        {%- endfor %}
    from cases
    group by fecha_corte, tipo_medida, es_limitativa, programa_tratamiento, establecimiento_medio_libre
)

select
    fecha_corte,
    tipo_medida,
    es_limitativa,
    programa_tratamiento,
    establecimiento_medio_libre,
    cast(casos as integer) as casos,
    cast(activos as integer) as activos,
    cast(pasivos as integer) as pasivos,
    {%- for motivo in pasivo_motivos %}
    cast(pasivos_{{ motivo | lower }} as integer) as pasivos_{{ motivo | lower }},
    {%- endfor %}
    cast({{ pct_half_up('activos', 'casos') }} as decimal(18, 2)) as pct_cumplimiento
from counted
