{{ config(materialized='incremental', unique_key=['id_caso', 'version'], incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- Every version of every medio libre case, once: repeated lines and re-sent
    versions collapse to one row. Incremental on what landed since the last run. -#}
with arrived as (
    select * from {{ ref('stg_inpe__medio_libre') }}
    {% if is_incremental() %}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
    {% endif %}
),

ranked as (
    select *, row_number() over (
        partition by id_caso, version order by _loaded_at desc, _record_ordinal
    ) as copy_rank
    from arrived
)

select {{ star_except(ref('stg_inpe__medio_libre'), ['copy_rank']) }}
from ranked where copy_rank = 1
