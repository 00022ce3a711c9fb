-- depends_on: {{ source('raw_hub', 'deliveries') }}
{{ config(materialized='incremental', unique_key='movimiento_id', incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- Registry movements, each once (a re-delivered extract repeats them). Incremental:
    only the movements that changed since the last run are rebuilt. -#}
with candidates as (
    {{ rows_to_rebuild(ref('stg_inpe__movimientos'), 'movimiento_id') }}
),

ranked as (
    select *, row_number() over (partition by movimiento_id order by _loaded_at desc) as copy_rank
    from candidates
)

select {{ star_except(ref('stg_inpe__movimientos'), ['copy_rank']) }}
from ranked where copy_rank = 1
