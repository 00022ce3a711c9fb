{#- Building blocks shared by the staging models. -#}

{% macro landed_with_cutoff(relation) -%}
{#- A raw table's rows with the cut-off of the delivery that brought them; on an
    incremental run, only the deliveries not staged yet. -#}
select landed.*, d.fecha_corte as delivery_fecha_corte
from {{ relation }} as landed
inner join {{ source('raw_hub', 'deliveries') }} as d on d.delivery_id = landed._delivery_id
where {{ not_staged_yet('landed._delivery_id') }}
{%- endmacro %}

{% macro not_staged_yet(delivery_id) -%}
{#- Staging models are incremental: a delivery is typed once, when it lands (a new
    court delivery is 1% of the year). A superseded delivery leaves by the post-hook
    drop_superseded_rows; its replacement has a new delivery id, so it is staged. -#}
{%- if is_incremental() -%}
{{ delivery_id }} not in (select distinct _delivery_id from {{ this }})
{%- else -%}
true
{%- endif -%}
{%- endmacro %}

{% macro person_columns(tipo, numero, paterno, materno, nombres, fecha_nacimiento, sexo) -%}
{#- A person as every source describes one: the document normalised and checked, the
    names as sent and in their matching form (no accents, given names sorted). -#}
        case when upper(trim({{ tipo }})) = 'NO_IDENTIFICADO' then null
             else nullif(upper(trim({{ tipo }})), '') end as doc_tipo,
        {{ normalize_document(tipo, numero) }} as doc_numero,
        {{ document_is_valid(tipo, numero) }} as doc_valido,
        {{ paterno }} as apellido_paterno,
        nullif(trim({{ materno }}), '') as apellido_materno,
        {{ nombres }} as nombres,
        {{ normalize_name(paterno) }} as apellido_paterno_norm,
        {{ normalize_name(materno) }} as apellido_materno_norm,
        {{ sorted_tokens(normalize_name(nombres)) }} as nombres_norm,
        {{ parse_date(fecha_nacimiento) }} as fecha_nacimiento,
        nullif(upper(trim({{ sexo }})), '') as sexo
{%- endmacro %}

{% macro rows_to_rebuild(staged, key) -%}
{#- The staged rows an incremental intermediate model rebuilds: on a full build all of
    them; on an incremental run every row of each key that changed since the last build.
    A key changed when a row for it landed since (`>=` the newest kept: an empty model
    reads everything, a tie is read again rather than missed), or when the delivery of
    its kept row is no longer landed (superseded, withdrawn). Keys are rebuilt whole from
    staging, so the result does not depend on the order deliveries arrived in. -#}
select * from {{ staged }}
{% if is_incremental() %}
where {{ key }} in (
    select {{ key }} from {{ staged }}
    where _loaded_at >= coalesce((select max(_loaded_at) from {{ this }}), '-infinity'::timestamptz)
    union all
    select {{ key }} from {{ this }}
    where _delivery_id not in (
        select delivery_id from {{ source('raw_hub', 'deliveries') }} where status = 'landed'
    )
)
{% endif %}
{%- endmacro %}
