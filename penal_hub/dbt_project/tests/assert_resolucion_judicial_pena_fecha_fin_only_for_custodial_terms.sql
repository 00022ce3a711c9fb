-- A sentence end exists only for a penalty measured in years, months or days (or
-- given by the court): never for one measured in jornadas (community service,
-- days-off limitation).
select resolucion_id, pena_clase, pena_fecha_inicio, pena_fecha_fin
from {{ ref('resolucion_judicial') }}
where pena_fecha_fin is not null
  and pena_fecha_vencimiento is null
  and pena_anios is null and pena_meses is null and pena_dias is null
