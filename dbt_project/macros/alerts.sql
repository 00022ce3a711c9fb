{#- Each person's latest resolution in `relation` among those matching `condition`
    (ties: the later resolution id). -#}
{% macro latest_resolution_per_person(relation, condition='true') %}
    select * from (
        select r.*, row_number() over (
            partition by persona_key order by fecha_emision desc, resolucion_id desc
        ) as recency
        from {{ relation }} as r
        where {{ condition }}
    ) as ranked
    where recency = 1
{% endmacro %}
