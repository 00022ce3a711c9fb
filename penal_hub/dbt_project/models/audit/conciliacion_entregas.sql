{#- Per landed delivery: what its manifest announced, what the ledger (raw.deliveries) says
    was landed and quarantined, and the rows of it still in the raw tables and in
    raw.quarantine. The blocking gate `deliveries_reconciled`
    (contracts/expectations/reconciliation.json) expects each pair equal: no record lost.
    Every raw table a source lands in is listed (the feed contract's SOURCE_TABLES; a
    test compares them). -#}
{%- set raw_tables = [
    source('raw_pj', 'pj_resoluciones'),
    source('raw_inpe', 'inpe_establecimientos'),
    source('raw_inpe', 'inpe_internos'),
    source('raw_inpe', 'inpe_movimientos'),
    source('raw_inpe', 'inpe_actividades'),
    source('raw_inpe', 'inpe_medio_libre'),
] %}
with present as (
    {%- for raw_table in raw_tables %}
    select _delivery_id as delivery_id, count(*) as n from {{ raw_table }} group by 1
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

landed as (
    select delivery_id, cast(sum(n) as bigint) as filas_en_raw from present group by 1
),

quarantined as (
    select delivery_id, count(*) as filas_en_cuarentena
    from {{ source('raw_hub', 'quarantine') }}
    group by 1
)

select
    d.delivery_id,
    d.source,
    d.fecha_corte,
    d.manifest_records,
    d.landed_records + d.quarantined_records as contabilizados,
    d.landed_records,
    coalesce(l.filas_en_raw, 0) as filas_en_raw,
    d.quarantined_records,
    coalesce(q.filas_en_cuarentena, 0) as filas_en_cuarentena
from {{ source('raw_hub', 'deliveries') }} as d
left join landed as l on l.delivery_id = d.delivery_id
left join quarantined as q on q.delivery_id = d.delivery_id
where d.status = 'landed'
