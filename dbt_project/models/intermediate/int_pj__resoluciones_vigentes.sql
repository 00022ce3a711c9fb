{{ config(materialized='incremental', unique_key='resolucion_id', incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- The current version of every resolution. Incremental: each run reads only what
    landed since the last one, and compares it with the version already kept, so a
    re-delivered older version arriving late never replaces a correction. -#}
with arrived as (
    select * from {{ ref('stg_pj__resoluciones') }}
    {% if is_incremental() %}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
    {% endif %}
),

candidates as (
    select * from arrived
    {% if is_incremental() %}
    union all
    select * from {{ this }} where resolucion_id in (select resolucion_id from arrived)
    {% endif %}
),

ranked as (
    select *, row_number() over (
        partition by resolucion_id order by version desc, _loaded_at desc
    ) as version_rank
    from candidates
)

select {{ star_except(ref("stg_pj__resoluciones"), ["version_rank"]) }}
from ranked where version_rank = 1
