{#- Execution-time indicators over marts.ejecucion_ordenes (docs/outputs.md,
    "Execution indicators"): for the orders issued in each month, by kind of order
    (LIBERTAD, INGRESO), nationally, per judicial district and per establishment.
    Percentiles are nearest-rank (the smallest dias_ejecucion with at least q of the
    executed orders at or below it), computed with integer arithmetic so both engines
    give the same day. -#}
{%- set ambitos = [
    ('NACIONAL', "'PERU'"),
    ('DISTRITO_JUDICIAL', "coalesce(distrito_judicial, 'SIN_DISTRITO')"),
    ('ESTABLECIMIENTO', "coalesce(cod_ep, 'SIN_ESTABLECIMIENTO')"),
] %}
with counted as (
    -- Orders that were executed or still wait: the others never asked INPE for anything.
    select
        *,
        cast(date_trunc('month', fecha_referencia) as date) as mes
    from {{ ref('ejecucion_ordenes') }}
    where motivo_no_ejecutada is null or en_espera
),

{% for ambito, codigo in ambitos %}
ranked_{{ ambito | lower }} as (
    select
        mes, tipo_orden, '{{ ambito }}' as ambito, {{ codigo }} as codigo_ambito,
        dias_ejecucion, en_espera,
        row_number() over (partition by mes, tipo_orden, {{ codigo }}, dias_ejecucion is null
                           order by dias_ejecucion) as rank_executed,
        count(dias_ejecucion) over (partition by mes, tipo_orden, {{ codigo }}) as executed
    from counted
),
{% endfor %}

ranked as (
    {% for ambito, _ in ambitos %}
    select * from ranked_{{ ambito | lower }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
)

select
    mes,
    tipo_orden,
    ambito,
    codigo_ambito,
    cast(count(*) as integer) as ordenes,
    cast(count(dias_ejecucion) as integer) as ejecutadas,
    cast(min(case when dias_ejecucion is not null and 100 * rank_executed >= 50 * executed
                  then dias_ejecucion end) as integer) as mediana_dias,
    cast(min(case when dias_ejecucion is not null and 100 * rank_executed >= 90 * executed
                  then dias_ejecucion end) as integer) as p90_dias,
    cast(sum(case when dias_ejecucion <= 1 then 1 else 0 end) as integer) as ejecutadas_en_un_dia,
    cast({{ pct_half_up('sum(case when dias_ejecucion <= 1 then 1 else 0 end)', 'count(dias_ejecucion)') }}
         as decimal(18, 2)) as pct_ejecutadas_en_un_dia,
    cast(sum(case when en_espera then 1 else 0 end) as integer) as en_espera
from ranked
group by mes, tipo_orden, ambito, codigo_ambito
