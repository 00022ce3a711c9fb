{#- Each person's latest resolution in `relation` among those matching `condition`
    (ties: the later resolution id, in byte order: collate "C" keeps PostgreSQL's
    database collation from reordering ids, and DuckDB reads it as its own binary order). -#}
{% macro latest_resolution_per_person(relation, condition='true') %}
    select * from (
        select r.*, row_number() over (
            partition by persona_key order by fecha_emision desc, resolucion_id collate "C" desc
        ) as recency
        from {{ relation }} as r
        where {{ condition }}
    ) as ranked
    where recency = 1
{% endmacro %}
