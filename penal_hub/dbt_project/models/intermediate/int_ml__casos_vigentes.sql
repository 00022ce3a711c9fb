{#- The current version of each medio libre case: the highest version wins. -#}
with ranked as (
    select *, row_number() over (partition by id_caso order by version desc) as version_rank
    from {{ ref('int_ml__casos_versiones') }}
)

select {{ star_except(ref('int_ml__casos_versiones'), ['version_rank']) }}
from ranked where version_rank = 1
