-- An enrolment does not end before it starts.
select actividad_id, fecha_inicio, fecha_fin
from {{ ref('actividad_penitenciaria') }}
where fecha_fin < fecha_inicio
