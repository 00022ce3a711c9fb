{#- A percentage 0-100 rounded half up to 2 decimals, in exact integer arithmetic:
    floor((20000 n + d) / 2d) / 100. (Float rounding would get x.xx5 wrong.) -#}
{% macro pct_half_up(numerator, denominator) -%}
case when {{ denominator }} > 0 then
    cast(cast(floor(cast(20000 * {{ numerator }} + {{ denominator }} as double precision)
                    / cast(2 * {{ denominator }} as double precision)) as bigint) as decimal(18, 2)) / 100
end
{%- endmacro %}

{% macro year_start(date_expr) -%}{{ return(adapter.dispatch('year_start')(date_expr)) }}{%- endmacro %}
{% macro default__year_start(date_expr) -%}cast(date_trunc('year', {{ date_expr }}) as date){%- endmacro %}

{% macro medio_libre_as_known_on(periods, period_column) -%}
{#- Each medio libre case as it was known on each period: its highest version
    delivered by then (one row per period and case). -#}
select * from (
    select p.{{ period_column }}, v.*,
           row_number() over (partition by p.{{ period_column }}, v.id_caso
                              order by v.version desc) as version_rank
    from {{ periods }} as p
    inner join {{ ref('medida_medio_libre_version') }} as v
        on v.fecha_corte_entrega <= p.{{ period_column }}
) as known
where version_rank = 1
{%- endmacro %}
