{{ config(meta={'dagster': {'ref': {'name': 'dim_indicador'}}}) }}
-- dim_indicador names every figure of the two indicator marts, and nothing else: the
-- codes of indicadores_politica (that each has a row, the relationships test on the mart
-- checks too), and the measure columns of ejecucion_indicadores (all but the columns
-- that say which orders: mes, tipo_orden, ambito, codigo_ambito).
{% set ejecucion = ref('ejecucion_indicadores') %}
with measures as (
    select lower(column_name) as columna
    from information_schema.columns
    where table_catalog = '{{ ejecucion.database }}'
      and table_schema = '{{ ejecucion.schema }}'
      and table_name = '{{ ejecucion.identifier }}'
      and lower(column_name) not in ('mes', 'tipo_orden', 'ambito', 'codigo_ambito')
),

named as (
    select columna from {{ ref('dim_indicador') }} where mart = 'ejecucion_indicadores'
),

codes as (
    select distinct codigo_indicador from {{ ref('indicadores_politica') }}
)

select 'a measure of ejecucion_indicadores without a row' as problem, columna from measures
where columna not in (select columna from named)
union all
select 'a row for no column of ejecucion_indicadores', columna from named
where columna not in (select columna from measures)
union all
select 'a row for no code of indicadores_politica', codigo_indicador from {{ ref('dim_indicador') }}
where mart = 'indicadores_politica' and codigo_indicador not in (select codigo_indicador from codes)
