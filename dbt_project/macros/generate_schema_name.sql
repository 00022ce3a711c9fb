{#- Layers are schemas with fixed names (staging, intermediate, interop, marts):
    other systems depend on `interop` and `marts`, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
