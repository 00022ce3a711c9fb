-- depends_on: {{ source('raw_hub', 'deliveries') }}
{{ config(materialized='incremental', unique_key=['id_caso', 'version'], incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- Every version of every medio libre case, once: repeated lines and re-sent
    versions collapse to one row. Incremental: only the cases that changed since the
    last run are rebuilt. -#}
with candidates as (
    {{ rows_to_rebuild(ref('stg_inpe__medio_libre'), 'id_caso') }}
),

ranked as (
    select *, row_number() over (
        partition by id_caso, version order by _loaded_at desc, _record_ordinal
    ) as copy_rank
    from candidates
)

select {{ star_except(ref('stg_inpe__medio_libre'), ['copy_rank']) }}
from ranked where copy_rank = 1
