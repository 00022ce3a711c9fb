{#- Column list of a relation minus some columns: portable `select * exclude (...)`. -#}
{% macro star_except(relation, except) -%}
    {%- if execute -%}
        {%- set cols = adapter.get_columns_in_relation(relation) | map(attribute='name')
                       | reject('in', except) | list -%}
        {{ cols | join(', ') }}
    {%- else -%}*{%- endif -%}
{%- endmacro %}
