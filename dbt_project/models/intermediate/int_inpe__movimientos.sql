{{ config(materialized='incremental', unique_key='movimiento_id', incremental_strategy='delete+insert',
          post_hook="{{ drop_superseded_rows() }}") }}
{#- Registry movements, each once (a re-delivered extract repeats them). -#}
with arrived as (
    select * from {{ ref('stg_inpe__movimientos') }}
    {% if is_incremental() %}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
    {% endif %}
),

ranked as (
    select *, row_number() over (partition by movimiento_id order by _loaded_at desc) as copy_rank
    from arrived
)

select {{ star_except(ref('stg_inpe__movimientos'), ['copy_rank']) }}
from ranked where copy_rank = 1
