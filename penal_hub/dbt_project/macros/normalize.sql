{#- Normalisers shared by every staging model. Portable SQL where it exists;
    adapter.dispatch where DuckDB and PostgreSQL differ. -#}

{% macro strip_accents(expr) -%}{{ return(adapter.dispatch('strip_accents')(expr)) }}{%- endmacro %}
{% macro default__strip_accents(expr) -%}strip_accents({{ expr }}){%- endmacro %}
{% macro postgres__strip_accents(expr) -%}unaccent({{ expr }}){%- endmacro %}

{% macro regex_full_match(expr, pattern) -%}{{ return(adapter.dispatch('regex_full_match')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}regexp_full_match({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_full_match(expr, pattern) -%}({{ expr }} ~ '^(?:{{ pattern }})$'){%- endmacro %}

{#- Tokens in byte order, as DuckDB's list_sort: collate "C" whatever the database's collation. -#}
{% macro sorted_tokens(expr) -%}{{ return(adapter.dispatch('sorted_tokens')(expr)) }}{%- endmacro %}
{% macro default__sorted_tokens(expr) -%}array_to_string(list_sort(string_split({{ expr }}, ' ')), ' '){%- endmacro %}
{% macro postgres__sorted_tokens(expr) -%}array_to_string(array(select t from unnest(string_to_array({{ expr }}, ' ')) as t order by t collate "C"), ' '){%- endmacro %}

{% macro parse_date(expr) -%}{{ return(adapter.dispatch('parse_date')(expr)) }}{%- endmacro %}
{#- Dates arrive as DD/MM/YYYY (registry) or ISO (court, medio libre); anything else is NULL. -#}
{% macro default__parse_date(expr) -%}
coalesce(try_strptime(nullif(trim({{ expr }}), ''), '%d/%m/%Y')::date, try_cast(nullif(trim({{ expr }}), '') as date))
{%- endmacro %}
{% macro postgres__parse_date(expr) -%}
{#- to_date() raises on an impossible day (31/02/2024) where DuckDB's try_ functions give
    NULL: the parts are checked first, in nested CASEs (AND does not fix evaluation order). -#}
case
  when trim({{ expr }}) ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$' then {{ postgres__checked_date("split_part(trim(" ~ expr ~ "), '/', 3)", "split_part(trim(" ~ expr ~ "), '/', 2)", "split_part(trim(" ~ expr ~ "), '/', 1)") }}
  when trim({{ expr }}) ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' then {{ postgres__checked_date("split_part(trim(" ~ expr ~ "), '-', 1)", "split_part(trim(" ~ expr ~ "), '-', 2)", "split_part(trim(" ~ expr ~ "), '-', 3)") }}
end
{%- endmacro %}
{% macro postgres__checked_date(y, m, d) -%}
case when cast({{ y }} as integer) >= 1 and cast({{ m }} as integer) between 1 and 12 then
  case when cast({{ d }} as integer) between 1
            and extract(day from make_date(cast({{ y }} as integer), cast({{ m }} as integer), 1) + interval '1 month - 1 day')
       then make_date(cast({{ y }} as integer), cast({{ m }} as integer), cast({{ d }} as integer)) end
end
{%- endmacro %}

{#- White space as DuckDB's \s (RE2): PostgreSQL's \s also takes \v and the no-break
    space (U+00A0), which would make the engines disagree on the same text. -#}
{% macro ascii_space_class() -%}[ \t\n\r\f]{%- endmacro %}

{#- A whole number 0-999999999, else NULL (never an error, never 1.5 rounded to 2): landing
    quarantines any other non-empty value (connectors/row_rules.py), so NULL means empty. -#}
{% macro to_int(expr) -%}
case when {{ regex_full_match('trim(' ~ expr ~ ')', '[0-9]{1,9}') }} then cast(trim({{ expr }}) as integer) end
{%- endmacro %}

{#- true / false (JSON), else NULL. -#}
{% macro to_boolean(expr) -%}
case lower(trim({{ expr }})) when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro normalize_name(expr) -%}
{#- Matching form of a name: upper case, no accents, letters and single spaces only. -#}
nullif(trim(regexp_replace(regexp_replace(upper({{ strip_accents(expr) }}), '[^A-Z ]', ' ', 'g'), ' +', ' ', 'g')), '')
{%- endmacro %}

{% macro normalize_document(tipo, numero) -%}
{#- DNI: digits only, leading zeros restored (senders drop them). CE and passport:
    upper case alphanumerics. Empty or NO_IDENTIFICADO: NULL. -#}
case
  when upper(trim({{ tipo }})) = 'DNI'
    then case when length(regexp_replace({{ numero }}, '[^0-9]', '', 'g')) <= 8
              then lpad(nullif(regexp_replace({{ numero }}, '[^0-9]', '', 'g'), ''), 8, '0')
              else regexp_replace({{ numero }}, '[^0-9]', '', 'g') end
  when upper(trim({{ tipo }})) in ('CE', 'PASAPORTE')
    then nullif(regexp_replace(upper({{ numero }}), '[^0-9A-Z]', '', 'g'), '')
end
{%- endmacro %}

{% macro document_is_valid(tipo, numero) -%}
case
  when upper(trim({{ tipo }})) = 'DNI'
    then {{ regex_full_match("regexp_replace(" ~ numero ~ ", '[^0-9]', '', 'g')", '[0-9]{1,8}') }}
         and regexp_replace({{ numero }}, '[^0-9]', '', 'g') <> repeat('0', length(regexp_replace({{ numero }}, '[^0-9]', '', 'g')))
  when upper(trim({{ tipo }})) = 'CE'
    then {{ regex_full_match("regexp_replace(upper(" ~ numero ~ "), '[^0-9A-Z]', '', 'g')", '[0-9A-Z]{1,12}') }}
  when upper(trim({{ tipo }})) = 'PASAPORTE'
    then {{ regex_full_match("regexp_replace(upper(" ~ numero ~ "), '[^0-9A-Z]', '', 'g')", '[0-9A-Z]{5,15}') }}
  else false
end
{%- endmacro %}

{% macro normalize_expediente(expr) -%}
{#- Canonical NNNNN-YYYY-I-CCCC-OO-MM-JJ from loosely written case numbers (missing
    leading zeros, spaces, lower case). NULL when it does not fit: a part with more
    digits than its width is never cut to fit. -#}
{%- set clean = "regexp_replace(upper(" ~ expr ~ "), '" ~ ascii_space_class() ~ "', '', 'g')" -%}
case when {{ regex_full_match(clean, '[0-9]{1,5}-[0-9]{4}-[0-9]+-[0-9]{1,4}-(JR|SP|JP|JU|JC)-PE-[0-9]{1,2}') }}
     then lpad(split_part({{ clean }}, '-', 1), 5, '0') || '-' || split_part({{ clean }}, '-', 2) || '-'
       || split_part({{ clean }}, '-', 3) || '-' || lpad(split_part({{ clean }}, '-', 4), 4, '0') || '-'
       || split_part({{ clean }}, '-', 5) || '-' || split_part({{ clean }}, '-', 6) || '-'
       || lpad(split_part({{ clean }}, '-', 7), 2, '0')
end
{%- endmacro %}

{% macro add_months(date_expr, months_expr) -%}{{ return(adapter.dispatch('add_months')(date_expr, months_expr)) }}{%- endmacro %}
{#- Calendar months, clamped to the month's last day (Jan 31 + 1 month = Feb 29). -#}
{% macro default__add_months(date_expr, months_expr) -%}cast({{ date_expr }} + to_months(cast({{ months_expr }} as integer)) as date){%- endmacro %}
{% macro postgres__add_months(date_expr, months_expr) -%}cast({{ date_expr }} + make_interval(months => cast({{ months_expr }} as integer)) as date){%- endmacro %}

{% macro pseudonym(expr) -%}{{ return(adapter.dispatch('pseudonym')(expr)) }}{%- endmacro %}
{#- HMAC-SHA256 under HUB_PSEUDONYM_KEY. On DuckDB a UDF registered by hub.dbt_plugin
    holds the key; on PostgreSQL pgcrypto's hmac() reads it from the session setting hub.pseudonym_key, so it never appears in compiled SQL. -#}
{% macro default__pseudonym(expr) -%}hub_pseudonym({{ expr }}){%- endmacro %}
{% macro postgres__pseudonym(expr) -%}encode(hmac(cast({{ expr }} as text), current_setting('hub.pseudonym_key'), 'sha256'), 'hex'){%- endmacro %}

{#- hub_pseudonym(text) on PostgreSQL too (on-run-start), wrapping the macro above: unit
    tests' expected rows are plain SQL, rendered without macros, and call it by name.
    DuckDB needs nothing: hub.dbt_plugin registers it. -#}
{% macro create_pseudonym_function() -%}{{ return(adapter.dispatch('create_pseudonym_function')()) }}{%- endmacro %}
{% macro default__create_pseudonym_function() -%}{%- endmacro %}
{% macro postgres__create_pseudonym_function() -%}
create or replace function {{ target.schema }}.hub_pseudonym(identity text) returns text
language sql stable strict as $fn$ select {{ postgres__pseudonym('identity') }} $fn$
{%- endmacro %}

{% macro normalize_text(expr) -%}
{#- Upper case, no accents, single spaces: for descriptions, not for matching names. -#}
nullif(trim(regexp_replace(upper({{ strip_accents(expr) }}), '{{ ascii_space_class() }}+', ' ', 'g')), '')
{%- endmacro %}

{% macro json_text(column, keys) -%}{{ return(adapter.dispatch('json_text')(column, keys)) }}{%- endmacro %}
{#- A JSON field as text, by a list of keys and array indexes; JSON null -> NULL. -#}
{% macro default__json_text(column, keys) -%}json_extract_string({{ column }}, '{{ json_path(keys) }}'){%- endmacro %}
{% macro postgres__json_text(column, keys) -%}({{ json_pointer('cast(' ~ column ~ ' as jsonb)', keys) }}){%- endmacro %}

{#- Many fields of one JSON document, parsed once (parsing dominates: once per field
    took 13 s for the 200 thousand medio libre lines of scale 1). `parse_json_fields`
    goes in one CTE, `json_field_columns` ({alias: keys}) in the next. -#}
{% macro parse_json_fields(column, fields) -%}{{ return(adapter.dispatch('parse_json_fields')(column, fields)) }}{%- endmacro %}
{% macro default__parse_json_fields(column, fields) -%}
json_extract_string({{ column }}, [{% for keys in fields.values() %}'{{ json_path(keys) }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}
{% macro postgres__parse_json_fields(column, fields) -%}cast({{ column }} as jsonb){%- endmacro %}

{% macro json_field_columns(parsed, fields) -%}{{ return(adapter.dispatch('json_field_columns')(parsed, fields)) }}{%- endmacro %}
{% macro default__json_field_columns(parsed, fields) -%}
{%- for alias in fields %}{{ parsed }}[{{ loop.index }}] as {{ alias }}{{ ',\n        ' if not loop.last }}{% endfor %}
{%- endmacro %}
{% macro postgres__json_field_columns(parsed, fields) -%}
{%- for alias, keys in fields.items() %}({{ json_pointer(parsed, keys) }}) as {{ alias }}{{ ',\n        ' if not loop.last }}{% endfor %}
{%- endmacro %}

{% macro json_path(keys) -%}${% for k in keys %}{% if k is number %}[{{ k }}]{% else %}.{{ k }}{% endif %}{% endfor %}{%- endmacro %}
{% macro json_pointer(jsonb, keys) -%}
{{ jsonb }}{% for k in keys %} {{ '->>' if loop.last else '->' }} {% if k is number %}{{ k }}{% else %}'{{ k }}'{% endif %}{% endfor %}
{%- endmacro %}
