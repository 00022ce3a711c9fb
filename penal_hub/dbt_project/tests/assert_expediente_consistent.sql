-- Every case file is mentioned by at least one source, its first date is not after
-- its last, and its parts agree with the case number.
select expediente
from {{ ref('expediente') }}
where not (en_poder_judicial or en_registro or en_medio_libre)
   or primera_fecha > ultima_fecha
   or sede_codigo <> split_part(expediente, '-', 4)
   or distrito_judicial_codigo <> left(sede_codigo, 2)
   or anio <> cast(split_part(expediente, '-', 2) as integer)
