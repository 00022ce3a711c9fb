{#- A percentage 0-100 rounded half up to 2 decimals, in exact integer arithmetic:
    floor((20000 n + d) / 2d) / 100. (Float rounding would get x.xx5 wrong.) -#}
{% macro pct_half_up(numerator, denominator) -%}
case when {{ denominator }} > 0 then
    cast(cast(floor(cast(20000 * {{ numerator }} + {{ denominator }} as double)
                    / cast(2 * {{ denominator }} as double)) as bigint) as decimal(18, 2)) / 100
end
{%- endmacro %}

{% macro year_start(date_expr) -%}{{ return(adapter.dispatch('year_start')(date_expr)) }}{%- endmacro %}
{% macro default__year_start(date_expr) -%}cast(date_trunc('year', {{ date_expr }}) as date){%- endmacro %}
