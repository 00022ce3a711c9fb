-- depends_on: {{ source('raw_hub', 'deliveries') }}
{{ config(materialized='incremental', unique_key='resolucion_id', incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- The current version of every resolution: the highest version staged, whatever the
    order its versions arrived in (a re-delivered older version never replaces a
    correction; a withdrawn correction gives the version before back). Incremental:
    only the resolutions that changed since the last run are rebuilt. -#}
with candidates as (
    {{ rows_to_rebuild(ref('stg_pj__resoluciones'), 'resolucion_id') }}
),

ranked as (
    select *, row_number() over (
        partition by resolucion_id order by version desc, _loaded_at desc
    ) as version_rank
    from candidates
)

select {{ star_except(ref("stg_pj__resoluciones"), ["version_rank"]) }}
from ranked where version_rank = 1
