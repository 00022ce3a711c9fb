{{ config(meta={'dagster': {'ref': {'name': 'int_pj__resoluciones_vigentes'}}}) }}
-- Every staged resolution is kept, in the highest version ever landed for it.
with staged as (
    select resolucion_id, max(version) as version_max
    from {{ ref('stg_pj__resoluciones') }}
    group by resolucion_id
)

select s.resolucion_id, s.version_max, v.version as version_vigente
from staged as s
left join {{ ref('int_pj__resoluciones_vigentes') }} as v on v.resolucion_id = s.resolucion_id
where v.version is distinct from s.version_max
