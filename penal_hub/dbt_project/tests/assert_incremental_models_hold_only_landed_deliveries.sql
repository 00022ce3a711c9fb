{{ config(meta={'dagster': {'ref': {'name': 'int_pj__resoluciones_vigentes'}}}) }}
-- The incremental intermediate models must not keep rows that the landing zone has
-- withdrawn: when a folder is re-delivered, the connector deletes the earlier
-- delivery's raw rows and marks it `superseded`. A row still pointing at a
-- delivery that is not `landed` is a record the source no longer sends (e.g. a
-- movement whose motive was corrected: it now exists twice, old and new).
with kept as (
    select 'int_inpe__movimientos' as modelo, movimiento_id as registro, _delivery_id
    from {{ ref('int_inpe__movimientos') }}
    union all
    select 'int_ml__casos_versiones', id_caso || ' v' || cast(version as varchar), _delivery_id
    from {{ ref('int_ml__casos_versiones') }}
    union all
    select 'int_pj__resoluciones_vigentes', resolucion_id, _delivery_id
    from {{ ref('int_pj__resoluciones_vigentes') }}
)

select k.modelo, k.registro, k._delivery_id, d.status
from kept as k
left join {{ source('raw_hub', 'deliveries') }} as d on d.delivery_id = k._delivery_id
where d.status is distinct from 'landed'
