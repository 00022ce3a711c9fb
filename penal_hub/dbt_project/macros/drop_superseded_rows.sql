{#- Incremental models keep what landed; when a re-delivered folder supersedes a
    delivery, the connector removes its rows from raw, and this post-hook removes
    them from the incremental model (the corrected rows arrive as new ones). -#}
{% macro drop_superseded_rows() %}
delete from {{ this }}
where _delivery_id not in (
    select delivery_id from {{ source('raw_hub', 'deliveries') }} where status = 'landed'
)
{% endmacro %}
