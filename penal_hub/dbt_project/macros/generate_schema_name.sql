{#- Layers are schemas with fixed names (staging, intermediate, interop, extracto, marts):
    other systems depend on `interop` and `marts`, whatever the target. On PostgreSQL
    analysts read schema `marts` in this same database, so dbt builds the marts into
    `marts_build`, which they cannot read, and the hub publishes a build whose quality
    gates passed into `marts` (orchestration/publish/marts.py; the name is also
    hub.warehouse.MARTS_BUILD). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = (custom_schema_name or target.schema) | trim -%}
    {%- if schema == 'marts' and target.type == 'postgres' -%}
        marts_build
    {%- else -%}
        {{ schema }}
    {%- endif -%}
{%- endmacro %}
