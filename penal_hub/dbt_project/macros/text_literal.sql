{#- A Python/Jinja string as an SQL text literal (quotes doubled), or null for none:
    portable to DuckDB and PostgreSQL (dbt's string_literal does not escape quotes). -#}
{% macro text_literal(value) -%}
    {{- "null" if value is none else "'" ~ (value | replace("'", "''")) ~ "'" -}}
{%- endmacro %}
