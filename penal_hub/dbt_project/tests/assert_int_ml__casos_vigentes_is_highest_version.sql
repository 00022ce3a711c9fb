{{ config(meta={'dagster': {'ref': {'name': 'int_ml__casos_vigentes'}}}) }}
-- Every staged medio libre case is kept, in the highest version ever landed for it.
with staged as (
    select id_caso, max(version) as version_max
    from {{ ref('stg_inpe__medio_libre') }}
    group by id_caso
)

select s.id_caso, s.version_max, v.version as version_vigente
from staged as s
left join {{ ref('int_ml__casos_vigentes') }} as v on v.id_caso = s.id_caso
where v.version is distinct from s.version_max
