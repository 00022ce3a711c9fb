{#- How long the persons held as PROCESADO on each registry cut-off have been in
    preventive detention (days since FECHA_INGRESO), in bands, by establishment.
    The bands close near 6 months and 1, 2, 3 and 4 years; 4 years is the longest
    legal term (48 months, organised crime), so the last band is beyond any term. -#}
{%- set bands = [(0, 179), (180, 364), (365, 729), (730, 1094), (1095, 1459), (1460, none)] %}
with bands as (
    {%- for desde, hasta in bands %}
    select
        {{ desde }} as desde_dias,
        cast({{ 'null' if hasta is none else hasta }} as integer) as hasta_dias,
        '{{ desde }}{{ "-" ~ hasta if hasta is not none else "+" }} días' as banda
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

procesados as (
    select fecha_corte, cod_ep, fecha_corte - fecha_ingreso as dias
    from {{ ref('situacion_juridica_historial') }}
    where situacion_juridica = 'PROCESADO'
)

select
    p.fecha_corte,
    p.cod_ep,
    e.nombre_ep as establecimiento,
    e.oficina_regional,
    -- A negative duration (admission after the cut-off) finds no band: not_null fails on it.
    b.banda,
    cast(b.desde_dias as integer) as banda_desde_dias,
    b.hasta_dias as banda_hasta_dias,
    cast(count(*) as integer) as personas,
    cast(max(p.dias) as integer) as dias_maximo
from procesados as p
left join bands as b on p.dias >= b.desde_dias and (b.hasta_dias is null or p.dias <= b.hasta_dias)
left join {{ ref('establecimiento') }} as e on e.cod_ep = p.cod_ep
group by p.fecha_corte, p.cod_ep, e.nombre_ep, e.oficina_regional, b.banda, b.desde_dias, b.hasta_dias
