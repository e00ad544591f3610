USE master
GO 3
  go -- c
GOx
SELECT 1
GO